"""Depictions rendered once into a memory-mapped `.npy`, re-opened without RDKit afterwards.

A directory holds one cache: `images.npy` (`[n, channels, size, size]` uint8) and
`images.json`, a sidecar naming what the array holds (featurizer config, row count, sha256 of the
SMILES, RDKit version). A request whose SMILES, featurizer and RDKit version match the sidecar
re-opens the array; anything else renders it again and replaces both files.

Why the files are trustworthy after a crash: the array is written under a temporary name and
renamed into place only when full, and the sidecar is removed before that rename and written
(also by rename) only after it. A sidecar therefore always describes a complete array; a crash
leaves at worst a missing sidecar, which means "render again", or a stray temporary file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import rdBase
from tqdm.auto import tqdm

from molbridge.chem import parse_smiles
from molbridge.featurize.image import ImageFeaturizer

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
ARRAY_NAME = "images.npy"
SIDECAR_NAME = "images.json"


def smiles_digest(smiles: Sequence[str]) -> str:
    """sha256 of the SMILES list, order included (JSON-encoded, so no separator can collide)."""
    return hashlib.sha256(json.dumps(list(smiles)).encode()).hexdigest()


class ImageCache:
    """Images of a SMILES list, kept in `directory` as a memory-mapped uint8 array.

    Args:
        directory: where `images.npy` and `images.json` live (created if missing).
        featurizer: how molecules are drawn.
        progress: show a tqdm bar while rendering.

    Example:
        >>> cache = ImageCache(Path("cache/bbbp_images"), ImageFeaturizer(size=128))
        >>> images = cache.load(smiles)  # [n, 3, 128, 128] uint8, memory-mapped read-only
    """

    def __init__(
        self,
        directory: Path | str,
        featurizer: ImageFeaturizer | None = None,
        progress: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.featurizer = featurizer or ImageFeaturizer()
        self.progress = progress

    @property
    def array_path(self) -> Path:
        return self.directory / ARRAY_NAME

    @property
    def sidecar_path(self) -> Path:
        return self.directory / SIDECAR_NAME

    def _sidecar(self, smiles: Sequence[str]) -> dict[str, Any]:
        return {
            "cache_format": CACHE_FORMAT,
            "featurizer": self.featurizer.to_config(),
            "rows": len(smiles),
            "smiles_sha256": smiles_digest(smiles),
            "rdkit": rdBase.rdkitVersion,  # another RDKit draws other pixels
        }

    def is_current(self, smiles: Sequence[str]) -> bool:
        """Whether the files on disk hold exactly these SMILES drawn by this featurizer."""
        try:
            recorded = json.loads(self.sidecar_path.read_text())
        except (OSError, ValueError):
            return False
        return bool(recorded == self._sidecar(smiles) and self.array_path.exists())

    def load(self, smiles: Sequence[str]) -> np.ndarray:
        """`[n, channels, size, size]` uint8 images of `smiles`, read-only and memory-mapped.

        Renders (and replaces the files) only when the cache does not match; a hit does no
        RDKit work.

        Raises:
            InvalidMoleculeError: an invalid SMILES, naming its row; nothing is left behind.
        """
        expected = (len(smiles), *self.featurizer.shape)
        if self.is_current(smiles):
            images = self._open()
            if images.shape == expected and images.dtype == np.uint8:
                log.debug("image cache hit in %s", self.directory)
                return images
            log.warning("image cache in %s has shape %s, rebuilding", self.directory, images.shape)
        self._build(smiles)
        return self._open()

    def _open(self) -> np.ndarray:
        images: np.ndarray = np.load(self.array_path, mmap_mode="r")
        return images

    def _build(self, smiles: Sequence[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        shape = (len(smiles), *self.featurizer.shape)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{ARRAY_NAME}.", suffix=".tmp", dir=self.directory
        )
        os.close(handle)
        try:
            self._render(smiles, Path(temporary), shape)
            # the old sidecar goes first, so a crash between the two renames never pairs it
            # with the new array
            self.sidecar_path.unlink(missing_ok=True)
            os.replace(temporary, self.array_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._write_sidecar(smiles)

    def _render(self, smiles: Sequence[str], path: Path, shape: tuple[int, ...]) -> None:
        images = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
        bar = tqdm(total=len(smiles), desc="depicting", unit="mol", disable=not self.progress)
        with bar:
            for row, text in enumerate(smiles):
                images[row] = self.featurizer(parse_smiles(text, row=row))
                bar.update()
        images.flush()
        del images  # closes the map before the rename

    def _write_sidecar(self, smiles: Sequence[str]) -> None:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{SIDECAR_NAME}.", suffix=".tmp", dir=self.directory
        )
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(self._sidecar(smiles), out, indent=1)
            os.replace(temporary, self.sidecar_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
