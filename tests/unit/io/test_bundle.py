import os
import pickle
from pathlib import Path

import pytest
import torch

from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle, save_bundle
from molbridge.pipeline.models import build_property_models
from tests.helpers import small_task


def _bundle() -> tuple[Bundle, torch.nn.Module]:
    task = small_task("regression", n_tasks=2, target_mean=(1.0, 2.0), target_std=(3.0, 4.0))
    bundle = Bundle(
        kind="property-model",
        featurizer=GraphFeaturizer().to_config(),
        encoder=task.encoder.config.to_config(),
        task=task.config.to_config(),
        members=[task.state_dict()],
        extra={"smiles_column": "smiles"},
    )
    return bundle, task


def test_round_trip_rebuilds_the_same_model(tmp_path: Path) -> None:
    bundle, task = _bundle()
    path = save_bundle(bundle, tmp_path / "model.ckpt")
    loaded = load_bundle(path)
    assert (
        loaded.kind == "property-model"
        and loaded.encoder == bundle.encoder
        and loaded.task == bundle.task
    )
    assert loaded.extra == {"smiles_column": "smiles"}
    featurizer, models = build_property_models(loaded)
    assert featurizer == GraphFeaturizer()
    for key, value in task.state_dict().items():
        assert torch.equal(models[0].state_dict()[key], value)
    assert models[0].config.target_std == (3.0, 4.0)


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # runs on unpickling: what a malicious checkpoint would do
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_pickle_payload_is_refused_and_never_runs(tmp_path: Path, writer: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    if writer == "pickle":
        path.write_bytes(pickle.dumps({"state_dict": _Payload(marker)}))
    else:
        torch.save({"state_dict": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_bundle(path)
    assert not marker.exists()


def test_other_bad_files_are_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(CheckpointError, match="not a molbridge bundle"):
        load_bundle(plain)
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(CheckpointError):
        load_bundle(garbage)
    with pytest.raises(FileNotFoundError):
        load_bundle(tmp_path / "missing.ckpt")


def test_damaged_header_is_a_checkpoint_error(tmp_path: Path) -> None:
    import json

    from safetensors.torch import save_file

    path = tmp_path / "damaged.ckpt"
    header = {"format": "molbridge-bundle", "format_version": 1, "kind": "encoder"}  # no members
    save_file({"member0/w": torch.zeros(1)}, str(path), metadata={"molbridge": json.dumps(header)})
    with pytest.raises(CheckpointError, match="damaged"):
        load_bundle(path)
    save_file({"w": torch.zeros(1)}, str(path), metadata={"molbridge": "[1, 2]"})
    with pytest.raises(CheckpointError, match="not a molbridge bundle"):
        load_bundle(path)
