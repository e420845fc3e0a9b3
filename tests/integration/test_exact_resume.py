"""A run interrupted after a checkpoint and resumed is bit-identical to an uninterrupted one:
same weights, same losses, same metrics (data order, dropout and masking draws restored)."""

import json
from pathlib import Path

import pytest
import torch

from molbridge.io import load_bundle
from molbridge.pipeline.pretrain import PretrainConfig, pretrain
from molbridge.pipeline.train import TrainConfig, train
from molbridge.tasks import PropertyTask
from molbridge.tasks.pretrain.base import PretrainTask
from tests.helpers import tiny_pretrain_config

DATA = Path(__file__).parents[1] / "data"


class Crash(RuntimeError):
    """Stands in for kill -9: the process stops after a checkpoint was written."""


def _same_weights(a: Path, b: Path) -> None:
    first, second = load_bundle(a).members, load_bundle(b).members
    assert len(first) == len(second)
    for x, y in zip(first, second, strict=True):
        assert x.keys() == y.keys()
        for name in x:
            assert torch.equal(x[name], y[name]), name


def test_fine_tuning_resumed_after_a_crash_is_bit_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def config(out: Path, resume: bool = False) -> TrainConfig:
        # dropout 0.5 (the default): the resumed run must draw the same masks
        return TrainConfig(
            data=str(DATA / "bbbp_tiny.csv"),
            out=str(out),
            target_columns=["p_np"],
            epochs=3,
            hidden_dim=32,
            num_layers=2,
            progress=False,
            resume=resume,
        )

    whole = train(config(tmp_path / "whole"))

    original = PropertyTask.on_train_epoch_start

    def crash_at_epoch_2(self: PropertyTask) -> None:
        if self.current_epoch == 2:
            raise Crash
        original(self)

    monkeypatch.setattr(PropertyTask, "on_train_epoch_start", crash_at_epoch_2)
    with pytest.raises(Crash):
        train(config(tmp_path / "parts"))
    monkeypatch.setattr(PropertyTask, "on_train_epoch_start", original)
    resumed = train(config(tmp_path / "parts", resume=True))

    _same_weights(whole.model_path, resumed.model_path)

    def history(out: Path) -> list[dict[str, float]]:
        record = json.loads((out / "member0" / "record.json").read_text())
        return [{k: v for k, v in row.items() if k != "seconds"} for row in record["history"]]

    assert history(tmp_path / "whole") == history(tmp_path / "parts")
    assert whole.valid == resumed.valid and whole.test == resumed.test


@pytest.mark.parametrize(
    ("strategy", "crash_at", "resumed_from"),
    [
        ("attr-masking", 12, "step10.ckpt"),  # mid-epoch 1, two steps after a step checkpoint
        ("context-pred", 12, "step10.ckpt"),
        ("attr-masking", 9, "epoch0-step9.ckpt"),  # right after the end-of-epoch checkpoint
    ],
)
def test_pretraining_resumed_mid_epoch_is_bit_identical(
    strategy: str, crash_at: int, resumed_from: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def config(out: Path, resume: bool = False) -> PretrainConfig:
        # 5 layers (the helper's): context-pred's context ring reaches 4 layers out
        return tiny_pretrain_config(
            out, strategy, epochs=2, dropout=0.2, checkpoint_every=5, resume=resume
        )

    whole = pretrain(config(tmp_path / "whole"))
    original = PretrainTask.training_step

    def crash(self: PretrainTask, batch: object, batch_idx: int) -> torch.Tensor:
        if self.global_step == crash_at:  # 9 steps an epoch; checkpoints every 5 steps
            raise Crash
        return original(self, batch, batch_idx)

    monkeypatch.setattr(PretrainTask, "training_step", crash)
    with pytest.raises(Crash):
        pretrain(config(tmp_path / "parts"))
    monkeypatch.setattr(PretrainTask, "training_step", original)
    resumed = pretrain(config(tmp_path / "parts", resume=True))

    assert resumed.summary["resumed_from"].endswith(resumed_from)
    assert whole.history == resumed.history
    assert whole.summary["steps"] == resumed.summary["steps"]
    _same_weights(whole.encoder_path, resumed.encoder_path)
