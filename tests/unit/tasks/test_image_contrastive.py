from pathlib import Path

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.featurize.image import ImageFeaturizer
from molbridge.nn.losses import nt_xent
from molbridge.tasks.pretrain.image_contrastive import (
    ImageContrastiveConfig,
    ImageContrastivePretraining,
)

SMILES = [
    "CCO",
    "c1ccccc1",
    "CC(=O)Nc1ccc(O)cc1",
    "CCN(CC)CC",
    "O=C=O",
    "C1CCCCC1",
    "CC(C)(C)O",
    "c1ccncc1",
]


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.from_numpy(ImageFeaturizer(size=48).many(SMILES))  # [8, 3, 48, 48] uint8


def _task(**config: object) -> ImageContrastivePretraining:
    encoder = ImageEncoder(ImageEncoderConfig(widths=(16, 32), blocks=(1, 1)))
    return ImageContrastivePretraining(encoder, ImageContrastiveConfig(projection_dim=32, **config))  # type: ignore[arg-type]


def test_nt_xent_prefers_matching_views() -> None:
    torch.manual_seed(0)
    z = torch.randn(16, 8)
    matched, accuracy = nt_xent(z, z, temperature=0.1)
    shuffled, shuffled_accuracy = nt_xent(z, z[torch.roll(torch.arange(16), 1)], temperature=0.1)
    assert matched < shuffled
    assert accuracy == 1.0 and shuffled_accuracy < 0.5
    # two views only: the positive is the single other view, so the loss is zero
    two, _ = nt_xent(torch.randn(1, 4), torch.randn(1, 4), temperature=0.5)
    assert float(two) == pytest.approx(0.0, abs=1e-6)


def test_augmentations_keep_shape_and_are_symmetries(images: torch.Tensor) -> None:
    torch.manual_seed(0)
    off = _task(rotate=False, flip_prob=0.0, crop_scale=1.0, grayscale_prob=0.0)
    torch.testing.assert_close(off.augment(images), images.float() / 255)
    # rotations and flips only permute pixels
    symmetric = _task(flip_prob=0.5, crop_scale=1.0, grayscale_prob=0.0).augment(images)
    assert symmetric.shape == images.shape
    flat = (images.float() / 255).flatten(1).sort(dim=1).values
    torch.testing.assert_close(symmetric.flatten(1).sort(dim=1).values, flat)
    assert not torch.equal(symmetric, images.float() / 255)
    # crops are resized back; grayscale makes the three channels equal
    view = _task(crop_scale=0.5, grayscale_prob=1.0).augment(images)
    assert view.shape == images.shape and view.dtype == torch.float32
    assert float(view.min()) >= 0.0 and float(view.max()) <= 1.0
    torch.testing.assert_close(view[:, 0], view[:, 2])


def test_loss_drops_when_overfitting_eight_images(images: torch.Tensor) -> None:
    torch.manual_seed(0)
    task = _task(lr=3e-3)
    optimizer = task.configure_optimizers()
    losses = []
    for _ in range(40):
        loss, logs = task.loss((images,))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    assert logs["accuracy"] >= 0.5


def test_fast_dev_run_with_a_tensor_dataset(images: torch.Tensor, tmp_path: Path) -> None:
    task = _task()
    loader = DataLoader(TensorDataset(images), batch_size=4, shuffle=True)
    trainer = L.Trainer(
        fast_dev_run=True,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(task, loader)
    assert trainer.global_step == 1
    assert len(task.history) == 1 and set(task.history[0]) == {"step", "loss", "accuracy"}


def test_config_and_bad_batches(images: torch.Tensor) -> None:
    config = ImageContrastiveConfig()
    assert config.to_config()["name"] == "image-contrastive" and config.temperature == 0.1
    with pytest.raises(ValueError, match="crop_scale"):
        ImageContrastiveConfig(crop_scale=0.0)
    task = _task()
    with pytest.raises(ValueError, match="at least 2"):
        task.loss(images[:1])
    with pytest.raises(ValueError, match="1-tuple"):
        task.loss((images, images))
    with pytest.raises(ValueError, match="square"):
        task.augment(images[:, :, :40])
