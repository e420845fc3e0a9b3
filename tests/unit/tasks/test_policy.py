"""Frozen modules stay bit-identical and out of checkpoints; per-module rates reach Adam."""

from pathlib import Path

import lightning as L
import pytest
import torch
from torch import nn

from molbridge.tasks.policy import param_groups
from molbridge.tasks.pretrain.base import PretrainTask


class _Toy(PretrainTask):
    """Pull a trainable linear map towards a frozen one (a stand-in for a modality encoder)."""

    def __init__(self, **kwargs: object) -> None:
        teacher = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
        super().__init__(nn.Linear(4, 4), frozen={"teacher": teacher}, **kwargs)  # type: ignore[arg-type]
        self.head = nn.Linear(4, 4)

    def loss(self, batch: object) -> tuple[torch.Tensor, dict[str, float]]:
        (x,) = batch  # type: ignore[misc]
        assert not self.frozen.training  # eval mode throughout, though Lightning calls train()
        return ((self.head(self.encoder(x)) - self.frozen["teacher"](x)) ** 2).mean(), {}


def _fit(task: PretrainTask, out: Path) -> L.Trainer:
    data = torch.utils.data.TensorDataset(torch.randn(64, 4))
    trainer = L.Trainer(
        max_epochs=2, logger=False, enable_progress_bar=False, default_root_dir=out,
        enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(task, torch.utils.data.DataLoader(data, batch_size=16))
    return trainer


def test_frozen_modules_are_unchanged_and_not_in_checkpoints(tmp_path: Path) -> None:
    torch.manual_seed(0)
    task = _Toy()
    frozen_before = {k: v.clone() for k, v in task.frozen.state_dict().items()}
    trained_before = task.encoder.weight.clone()
    trainer = _fit(task, tmp_path)
    for key, value in task.frozen.state_dict().items():
        assert torch.equal(value, frozen_before[key]), key  # batch-norm statistics included
    assert not torch.equal(task.encoder.weight, trained_before)
    assert all(not p.requires_grad for p in task.frozen.parameters())
    path = tmp_path / "task.ckpt"
    trainer.save_checkpoint(path)
    saved = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    assert saved and not any(k.startswith("frozen.") for k in saved)
    # a checkpoint without the frozen side loads strictly into a new task
    again = _Toy()
    again.load_state_dict(saved)
    assert torch.equal(again.encoder.weight, task.encoder.weight)


def test_per_module_learning_rates_reach_the_optimizer() -> None:
    task = _Toy(lr=1e-3, lr_by_module={"head": 1e-2})
    optimizer = task.configure_optimizers()
    rates = {group["name"]: group["lr"] for group in optimizer.param_groups}
    assert rates == {"default": 1e-3, "head": 1e-2}
    heads = next(g for g in optimizer.param_groups if g["name"] == "head")["params"]
    assert {id(p) for p in heads} == {id(p) for p in task.head.parameters()}
    every = [p for g in optimizer.param_groups for p in g["params"]]
    assert not any(id(p) in {id(q) for q in task.frozen.parameters()} for p in every)


def test_unknown_module_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown modules"):
        param_groups(nn.Linear(2, 2), 1e-3, {"encoder": 1e-4})
