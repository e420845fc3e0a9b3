"""Bundles are recognised by structure, and their metadata must match their weights."""

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle, save_bundle
from molbridge.io.bundle import _sniff
from molbridge.pipeline.models import build_property_models, encoder_from_bundle
from tests.helpers import small_task


def _bundle(**extra: Any) -> Bundle:
    task = small_task("regression", n_tasks=2)
    return Bundle(
        kind="property-model",
        featurizer=GraphFeaturizer().to_config(),
        encoder=task.encoder.config.to_config(),
        task=task.config.to_config(),
        members=[task.state_dict()],
        extra=extra,
    )


@pytest.mark.parametrize("low_byte", range(256))
def test_every_low_byte_of_the_header_length_is_a_safetensors_file(
    tmp_path: Path, low_byte: int
) -> None:
    # 0x80 is also the pickle protocol marker: a header length of 0x2480 once made a valid
    # bundle look like a pickle
    length = 0x2400 + low_byte
    header = json.dumps({"__metadata__": {"pad": ""}})
    header = header + " " * (length - len(header))
    path = tmp_path / "model.ckpt"
    path.write_bytes(length.to_bytes(8, "little") + header.encode())
    _sniff(path)


def test_bundles_of_every_reachable_header_length_load(tmp_path: Path) -> None:
    # safetensors pads its header to a multiple of 8: 32 low bytes are reachable, 0x80 among them
    seen: set[int] = set()
    for pad in range(0, 400):
        path = save_bundle(_bundle(pad="x" * pad), tmp_path / "model.ckpt")
        low = int.from_bytes(path.read_bytes()[:8], "little") % 256
        if low in seen:
            continue
        seen.add(low)
        assert load_bundle(path).extra["pad"] == "x" * pad
    assert 0x80 in seen and len(seen) == 32


def _rewrite(path: Path, edit: Any) -> None:
    """Edit the molbridge header in place, keeping the weights and the stored digest (what a
    hand edit or another tool's rewrite would do)."""
    with safe_open(str(path), framework="pt") as handle:
        header = json.loads(handle.metadata()["molbridge"])
    tensors = load_file(str(path))
    edit(header, tensors)
    save_file(tensors, str(path), metadata={"molbridge": json.dumps(header)})


def _swap_same_size_features(header: dict[str, Any], _: dict[str, torch.Tensor]) -> None:
    atoms = header["featurizer"]["atom_features"]
    i, j = atoms.index("is_aromatic"), atoms.index("is_in_ring")  # 3 categories each
    atoms[i], atoms[j] = atoms[j], atoms[i]


def _rename_encoder(header: dict[str, Any], _: dict[str, torch.Tensor]) -> None:
    header["encoder"]["name"] = "smiles"


def _more_members(header: dict[str, Any], _: dict[str, torch.Tensor]) -> None:
    header["n_members"] = 2


def _other_weights(_: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    name = next(iter(tensors))
    tensors[name] = tensors[name] + 1


@pytest.mark.parametrize(
    "edit", [_swap_same_size_features, _rename_encoder, _more_members, _other_weights]
)
def test_metadata_edited_after_saving_is_refused(tmp_path: Path, edit: Any) -> None:
    path = save_bundle(_bundle(), tmp_path / "model.ckpt")
    _rewrite(path, edit)
    with pytest.raises(CheckpointError, match="changed after it was saved"):
        load_bundle(path)


def _drop_atom_feature(bundle: Bundle) -> None:
    bundle.featurizer["atom_features"] = bundle.featurizer["atom_features"][:-1]
    bundle.encoder["atom_dims"] = bundle.encoder["atom_dims"][:-1]


def _drop_feature_from_featurizer_only(bundle: Bundle) -> None:
    bundle.featurizer["atom_features"] = bundle.featurizer["atom_features"][:-1]


def _other_hidden_size(bundle: Bundle) -> None:
    bundle.encoder["hidden_dim"] = 48


def _other_layer_count(bundle: Bundle) -> None:
    bundle.encoder["num_layers"] = 3


def _more_targets(bundle: Bundle) -> None:
    bundle.task["target_names"] = [*bundle.task["target_names"], "extra"]


def _other_modality(bundle: Bundle) -> None:
    bundle.encoder["name"] = "fingerprint"


def _unknown_setting(bundle: Bundle) -> None:
    bundle.encoder["heads"] = 4


@pytest.mark.parametrize(
    ("mismatch", "message"),
    [
        (_drop_atom_feature, "another shape"),
        (_drop_feature_from_featurizer_only, "featurizer makes"),
        (_other_hidden_size, "another shape"),
        (_other_layer_count, "weights missing"),
        (_more_targets, "another shape"),
        (_other_modality, "not the graph encoder"),
        (_unknown_setting, "configuration is not valid"),
    ],
)
def test_metadata_that_does_not_describe_the_weights_is_a_bundle_error(
    tmp_path: Path, mismatch: Any, message: str
) -> None:
    # written consistently (digest and all) by a tool that got the metadata wrong
    bundle = _bundle()
    mismatch(bundle)
    path = save_bundle(bundle, tmp_path / "model.ckpt")
    loaded = load_bundle(path)
    with pytest.raises(CheckpointError, match=message):
        build_property_models(loaded, str(path))
    if mismatch not in (_more_targets,):
        with pytest.raises(CheckpointError, match=message):
            encoder_from_bundle(loaded, source=str(path))
