"""Where runs write: output paths checked before any work, run folders that delete only what
their own run wrote, CSVs that read back as written, and checkpoints checked before a resume.

A run folder holds a manifest (`molbridge-run.json`) naming the run's kind and every file or
folder the run created in it. A fresh run into a folder of the same kind deletes the earlier
run's listed outputs and nothing else; a non-empty folder that is not a molbridge run of that
kind is refused unless `overwrite=True`, and even then nothing but the run's own files is
touched.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from molbridge.io.atomic import atomic_write
from molbridge.io.bundle import CheckpointError

MANIFEST = "molbridge-run.json"


class OutputPathError(ValueError):
    """An output path that cannot be used (a file where a folder is needed, not writable, ...)."""


def _why(err: OSError) -> str:
    return err.strerror or type(err).__name__


def check_output_dir(path: Path | str, option: str = "--out") -> Path:
    """Create the folder `path` (with parents) and make sure files can be written in it.

    Raises:
        OutputPathError: `path` is a file, lies under a file, or is not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{option} {path} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputPathError(f"{option} {path} cannot be written: {_why(err)}") from None
    return path


def check_output_file(
    path: Path | str, inputs: Iterable[Path | str] = (), option: str = "--out"
) -> Path:
    """Make sure the file `path` can be written, and is none of `inputs`, before any work.

    Creates the file's parent folders; writes nothing at `path` itself.

    Raises:
        OutputPathError: `path` is a folder, lies under a file, is not writable, or is an input.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder; give a file name")
    for source in inputs:
        source = Path(source)
        if source.exists() and path.exists() and os.path.samefile(source, path):
            raise OutputPathError(
                f"{option} {path} is the input file {source}; writing it would destroy the "
                "input. Give another output file."
            )
    check_output_dir(path.parent if str(path.parent) else Path("."), option=f"{option}'s folder")
    return path


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write `frame` so that reading it back gives the same rows whatever the cells hold.

    Every text cell is quoted: a lone carriage return or a newline in a cell (an echoed SMILES,
    an error text) then stays inside its row. Written to a temporary file and renamed, so a
    crash never leaves half a file.
    """
    path = Path(path)
    with atomic_write(path) as partial:
        frame.to_csv(partial, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return path


@dataclass
class RunFolder:
    """An output folder owned by one kind of run (`train`, `pretrain`, `benchmark`, ...).

    Use `RunFolder.claim` to open one, and `file(name)` for every output written in it.
    """

    path: Path
    kind: str
    files: list[str] = field(default_factory=list)
    primary: bool = True  # False on DDP ranks other than 0: they neither delete nor record

    @classmethod
    def claim(
        cls,
        path: Path | str,
        kind: str,
        resume: bool = False,
        overwrite: bool = False,
        primary: bool = True,
    ) -> RunFolder:
        """Open `path` for a run of `kind`.

        A fresh run (not `resume`) deletes the outputs its manifest lists from an earlier run of
        the same kind. A resumed run deletes nothing.

        Raises:
            OutputPathError: the folder cannot be written, holds another kind of molbridge run,
                or holds other files and `overwrite` is False.
        """
        path = check_output_dir(path)
        if not primary:
            return cls(path, kind, primary=False)
        previous = _read_manifest(path)
        others = sorted(p.name for p in path.iterdir() if p.name != MANIFEST)
        if previous is not None and previous.get("kind") != kind and not overwrite:
            raise OutputPathError(
                f"--out {path} holds a molbridge {previous.get('kind')} run, not a {kind} run; "
                "choose another --out (or add --overwrite to write into it anyway)"
            )
        if previous is None and others and not (resume or overwrite):
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise OutputPathError(
                f"--out {path} is not empty ({shown}) and is not a molbridge {kind} run; choose "
                "another --out, or add --overwrite to write into it (molbridge then replaces "
                "only the files it writes and deletes nothing else)"
            )
        same_kind = previous is not None and previous.get("kind") == kind
        files = previous.get("files") if same_kind and previous else None
        listed = [str(f) for f in files] if isinstance(files, list) else []
        folder = cls(path, kind, listed)
        if not resume:
            folder.clear()
        folder._save()
        return folder

    def clear(self) -> None:
        """Delete the outputs this folder's manifest lists (an earlier run's), nothing else."""
        for name in self.files:
            target = self.path / name
            if not _inside(target, self.path):
                continue  # a hand-edited manifest must not reach outside the folder
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        self.files = []

    def file(self, name: str) -> Path:
        """The path of output `name` (relative to the folder), recorded as this run's."""
        if self.primary and name not in self.files:
            self.files.append(name)
            self._save()
        return self.path / name

    def _save(self) -> None:
        if not self.primary:
            return
        with atomic_write(self.path / MANIFEST) as partial:
            partial.write_text(json.dumps({"kind": self.kind, "files": self.files}, indent=1))


def _read_manifest(path: Path) -> dict[str, object] | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _inside(target: Path, root: Path) -> bool:
    try:
        target.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return target.resolve() != root.resolve()


def check_resume_checkpoint(path: Path | str) -> Path:
    """Make sure a training checkpoint can be read (tensors only, never code) before resuming.

    Raises:
        CheckpointError: one line saying it is unreadable and how to start fresh.
    """
    path = Path(path)
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types; its text suggests unsafe loading
        raise CheckpointError(
            f"cannot resume: the checkpoint {path} is unreadable or holds more than tensors "
            f"({type(err).__name__}); delete it (or the whole --out) and run again without "
            "--resume to start fresh"
        ) from None
    return path
