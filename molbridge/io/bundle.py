"""Self-describing checkpoint bundles: configs, package version and weights in one safetensors file.

Loading parses only safetensors (a JSON header and raw tensor bytes): it never unpickles, so a
checkpoint cannot run code. A pickle or `torch.save` file is refused with a clear error.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from molbridge import __version__
from molbridge.io.atomic import atomic_write

FORMAT = "molbridge-bundle"
# 2: bundles may carry `parts`; version 1 files (no parts) load as bundles without parts
FORMAT_VERSION = 2
KINDS = ("property-model", "encoder", "gbm-model")


class CheckpointError(ValueError):
    """A file that is not a readable molbridge bundle."""


@dataclass
class Bundle:
    """Everything needed to rebuild a model without repeating training flags.

    Attributes:
        kind: `property-model` (encoder + head, ready to predict), `encoder` (for `--init`), or
            `gbm-model` (boosted trees: CatBoost's own format as uint8 tensors, a frozen
            encoder as the part `encoder`; `pipeline/train_gbm.py`).
        featurizer: the featurizer's `to_config()`.
        encoder: the encoder's config (`to_config()`).
        task: the task's config, for property models; `{}` for encoders.
        members: one state dict per ensemble member (one for a single model).
        extra: free-form JSON-able facts (training command, metrics, data source).
        version: the molbridge version that wrote it.
        parts: further modules that travel with the encoder (prompt tokens, projection heads,
            channel weights, a teacher), by name: each its `to_config()` and its weights.
            `train --init` loads the ones a run asks for and drops the rest, saying so.
    """

    kind: str
    featurizer: dict[str, Any]
    encoder: dict[str, Any]
    task: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, torch.Tensor]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    version: str = __version__
    parts: dict[str, BundlePart] = field(default_factory=dict)


@dataclass
class BundlePart:
    """A module carried in a bundle beside the encoder: its config and its weights."""

    config: dict[str, Any]
    state: dict[str, torch.Tensor]


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
    for part_name, part in bundle.parts.items():
        if "/" in part_name or not part_name:
            raise ValueError(f"a part name must be non-empty without '/', got {part_name!r}")
        for name, tensor in part.state.items():
            tensors[f"part/{part_name}/{name}"] = tensor.detach().to("cpu").contiguous()
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
    if bundle.parts:
        header["parts"] = {name: part.config for name, part in bundle.parts.items()}
    header["digest"] = _digest(header, tensors)
    with atomic_write(path) as partial:
        save_file(tensors, str(partial), metadata={"molbridge": json.dumps(header)})
    return path


# A safetensors header longer than this is not one molbridge wrote (ours are a few KiB).
MAX_HEADER_BYTES = 100_000_000


_DESCRIBES_WEIGHTS = ("kind", "n_members", "featurizer", "encoder", "task", "parts")


def _digest(header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over the header sections that say what the weights mean and over the weights
    (names, dtypes, shapes, bytes): a bundle whose metadata was edited after saving (a feature
    swapped for one of the same size, another encoder name) no longer matches. `extra` is free
    notes and left out."""
    digest = hashlib.sha256()
    described = {key: header[key] for key in _DESCRIBES_WEIGHTS if key in header}
    digest.update(json.dumps(described, sort_keys=True).encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{list(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _sniff(path: Path) -> None:
    """Refuse files that are not safetensors before any parser sees them.

    Judged by structure: the first 8 bytes are the little-endian length of a JSON header that
    follows them. Their first byte alone says nothing (a header length of 0x2480 starts with the
    byte 0x80, which is also the pickle protocol marker), so the pickle and zip signatures are
    only used to name what a file that failed the structural check looks like.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(8)
        header_len = int.from_bytes(head, "little") if len(head) == 8 else -1
        if 2 <= header_len <= min(size - 8, MAX_HEADER_BYTES):
            try:
                header = json.loads(handle.read(header_len))
            except (UnicodeDecodeError, json.JSONDecodeError):
                header = None
            if isinstance(header, dict):
                return
    pickle_protocol = head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
    if head[:2] == b"PK" or pickle_protocol:
        raise CheckpointError(
            f"{path} is a pickle/torch.save file; molbridge never unpickles checkpoints "
            "(it could run arbitrary code). Use a bundle written by molbridge."
        )
    if size < 10:
        raise CheckpointError(f"{path} is too short to be a molbridge bundle")
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
    # bundles written before the digest existed have none; every later one must match
    if "digest" in header and header["digest"] != _digest(header, tensors):
        raise CheckpointError(
            f"{path}: its metadata (featurizer, encoder, task, kind or member count) or its "
            "weights changed after it was saved; it no longer describes its weights. "
            "Use the file molbridge wrote, or train again."
        )
    try:
        n_members = int(header["n_members"])
        members: list[dict[str, torch.Tensor]] = [{} for _ in range(n_members)]
        part_configs = dict(header.get("parts", {}))
        parts = {name: BundlePart(dict(config), {}) for name, config in part_configs.items()}
        for name, tensor in tensors.items():
            if name.startswith("part/"):
                _, part_name, key = name.split("/", 2)
                if part_name not in parts:
                    raise CheckpointError(
                        f"{path} holds weights of an undeclared part {part_name!r}"
                    )
                parts[part_name].state[key] = tensor
                continue
            member, _, key = name.partition("/")
            index = int(member.removeprefix("member"))
            if not 0 <= index < n_members:
                raise CheckpointError(
                    f"{path} holds weights of member {index} but says it has {n_members} members"
                )
            members[index][key] = tensor
        empty = [i for i, state in enumerate(members) if not state]
        if empty or not members:
            raise CheckpointError(f"{path}: members {empty or [0]} have no weights")
        keys = [sorted(state) for state in members]
        if any(k != keys[0] for k in keys):
            raise CheckpointError(f"{path}: its members hold different sets of weights")
        return Bundle(
            kind=header["kind"],
            featurizer=dict(header["featurizer"]),
            encoder=dict(header["encoder"]),
            task=dict(header.get("task", {})),
            members=members,
            extra=dict(header.get("extra", {})),
            version=str(header.get("molbridge_version", "unknown")),
            parts=parts,
        )
    except CheckpointError:
        raise
    except (KeyError, ValueError, TypeError, IndexError) as err:
        raise CheckpointError(f"{path} has a damaged molbridge header: {err!r}") from err


def load_weights(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """`module.load_state_dict(state)`, after checking that `state` fits it: the same names and
    shapes. A bundle whose metadata describes another model than its weights (a feature column
    dropped, another hidden size or number of targets) fails here with what differs, instead
    of torch's long size-mismatch report.

    Raises:
        CheckpointError: names missing or unexpected, or shapes that differ.
    """
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    reshaped = [
        f"{name} {list(state[name].shape)} in the file, {list(tensor.shape)} by its metadata"
        for name, tensor in expected.items()
        if name in state and state[name].shape != tensor.shape
    ]
    if missing or unexpected or reshaped:
        parts = []
        if reshaped:
            parts.append(f"{len(reshaped)} weights of another shape ({'; '.join(reshaped[:3])})")
        if missing:
            parts.append(f"{len(missing)} weights missing ({', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected weights ({', '.join(unexpected[:3])})")
        raise CheckpointError(
            f"{source}: its metadata does not match its weights: {'; '.join(parts)}"
        )
    module.load_state_dict(state)
