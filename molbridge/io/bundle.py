"""Self-describing checkpoint bundles: configs, package version and weights in one safetensors file.

Loading parses only safetensors (a JSON header and raw tensor bytes): it never unpickles, so a
checkpoint cannot run code. A pickle or `torch.save` file is refused with a clear error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from molbridge import __version__

FORMAT = "molbridge-bundle"
FORMAT_VERSION = 1
KINDS = ("property-model", "encoder")


class CheckpointError(ValueError):
    """A file that is not a readable molbridge bundle."""


@dataclass
class Bundle:
    """Everything needed to rebuild a model without repeating training flags.

    Attributes:
        kind: `property-model` (encoder + head, ready to predict) or `encoder` (for `--init`).
        featurizer: the featurizer's `to_config()`.
        encoder: the encoder's config (`to_config()`).
        task: the task's config, for property models; `{}` for encoders.
        members: one state dict per ensemble member (one for a single model).
        extra: free-form JSON-able facts (training command, metrics, data source).
        version: the molbridge version that wrote it.
    """

    kind: str
    featurizer: dict[str, Any]
    encoder: dict[str, Any]
    task: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, torch.Tensor]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    version: str = __version__


def save_bundle(bundle: Bundle, path: Path | str) -> Path:
    """Write `bundle` atomically (temporary file, then rename) and return its path."""
    if bundle.kind not in KINDS:
        raise ValueError(f"unknown bundle kind {bundle.kind!r}; valid: {KINDS}")
    if not bundle.members:
        raise ValueError("a bundle needs at least one set of weights")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"member{i}/{name}": tensor.detach().to("cpu").contiguous()
        for i, state in enumerate(bundle.members)
        for name, tensor in state.items()
    }
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": bundle.kind,
        "molbridge_version": bundle.version,
        "n_members": len(bundle.members),
        "featurizer": bundle.featurizer,
        "encoder": bundle.encoder,
        "task": bundle.task,
        "extra": bundle.extra,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata={"molbridge": json.dumps(header)})
    os.replace(tmp, path)
    return path


def _sniff(path: Path) -> None:
    """Refuse files that are plainly not safetensors before any parser sees them."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head[:2] == b"PK" or head[:1] == b"\x80":
        raise CheckpointError(
            f"{path} is a pickle/torch.save file; molbridge never unpickles checkpoints "
            "(it could run arbitrary code). Use a bundle written by molbridge."
        )
    if len(head) < 10:
        raise CheckpointError(f"{path} is too short to be a molbridge bundle")
    header_len = int.from_bytes(head[:8], "little")
    if head[8:9] != b"{" or header_len > 100_000_000:
        raise CheckpointError(f"{path} is not a molbridge bundle (not a safetensors file)")


def load_bundle(path: Path | str) -> Bundle:
    """Read a bundle written by `save_bundle`.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: not a safetensors molbridge bundle (e.g. a pickle), or a newer format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    _sniff(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            raw = metadata.get("molbridge")
            if raw is None:
                raise CheckpointError(f"{path} is a safetensors file but not a molbridge bundle")
            header = json.loads(raw)
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except CheckpointError:
        raise
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{path} could not be read as a molbridge bundle: {err}") from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a molbridge bundle")
    if header.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer molbridge ({header.get('molbridge_version')}); upgrade"
        )
    try:
        members: list[dict[str, torch.Tensor]] = [{} for _ in range(int(header["n_members"]))]
        for name, tensor in tensors.items():
            member, _, key = name.partition("/")
            members[int(member.removeprefix("member"))][key] = tensor
        return Bundle(
            kind=header["kind"],
            featurizer=dict(header["featurizer"]),
            encoder=dict(header["encoder"]),
            task=dict(header.get("task", {})),
            members=members,
            extra=dict(header.get("extra", {})),
            version=str(header.get("molbridge_version", "unknown")),
        )
    except (KeyError, ValueError, TypeError, IndexError) as err:
        raise CheckpointError(f"{path} has a damaged molbridge header: {err!r}") from err
