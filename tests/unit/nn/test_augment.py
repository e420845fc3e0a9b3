"""The image views of the image strategies: every augmentation image–graph uses keeps the whole
molecule in the picture, checked on depictions of known molecules (the featurizer's output for a
canonical SMILES), not by reading the image back."""

import numpy as np
import pytest
import torch

from molbridge.featurize.image import ImageFeaturizer
from molbridge.nn.augment import ImageAugmentConfig, augment_images, crop, zoom_out
from molbridge.tasks.pretrain.image_graph import ImageGraphConfig

SMILES = ["CC(=O)Nc1ccc(O)cc1", "c1ccc2ccccc2c1", "CCN(CC)C(=O)c1ccccc1Cl", "OC(=O)CCCCC(=O)O"]
INK = 0.9  # a pixel darker than this (of 1) in any channel is drawing, not background


@pytest.fixture(scope="module")
def depictions() -> torch.Tensor:
    return torch.from_numpy(ImageFeaturizer(size=64).many(SMILES)).float() / 255.0


def _ink(image: torch.Tensor) -> torch.Tensor:
    """`[H, W]` bool: where the drawing is."""
    return (image < INK).any(dim=0)


def _box(mask: torch.Tensor) -> tuple[int, int]:
    """Height and width of the drawing's bounding box."""
    rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_rotations_and_mirrors_only_move_pixels(depictions: torch.Tensor) -> None:
    torch.manual_seed(0)
    config = ImageAugmentConfig(rotate=True, flip_prob=0.5)
    for _ in range(8):
        views = augment_images(depictions, config)
        for view, image in zip(views, depictions, strict=True):
            # a symmetry of the square: the same pixels, only elsewhere
            assert torch.equal(view.flatten().sort().values, image.flatten().sort().values)
            symmetries = [torch.rot90(image, k, (1, 2)) for k in range(4)]
            symmetries += [s.flip(2) for s in symmetries]
            assert any(torch.equal(view, s) for s in symmetries)


def test_zoom_out_keeps_the_whole_drawing(depictions: torch.Tensor) -> None:
    torch.manual_seed(0)
    for _ in range(10):
        views = zoom_out(depictions, 0.7)
        for view, image in zip(views, depictions, strict=True):
            before, after = _box(_ink(image)), _box(_ink(view))
            long = int(np.argmax(before))
            scale = after[long] / before[long]
            # the drawing shrank as a whole (both sides by one factor, within the pixel grid
            # and the blur of resampling)
            assert 0.65 <= scale <= 1.01
            assert abs(after[1 - long] - scale * before[1 - long]) <= 3
            # and its amount of ink shrank by about the area: nothing was cut off
            darkness = (1 - view).sum() / (1 - image).sum()
            assert darkness == pytest.approx(scale**2, rel=0.2)


def test_the_image_graph_default_views_keep_the_molecule(depictions: torch.Tensor) -> None:
    config = ImageGraphConfig().augment_config
    assert config.crop_scale == 1.0  # no crop: a crop may cut atoms off
    torch.manual_seed(1)
    for _ in range(10):
        views = augment_images(depictions, config)
        for view, image in zip(views, depictions, strict=True):
            ratio = (1 - view).sum() / (1 - image).sum()
            box = _box(_ink(view))
            scale = max(box) / max(_box(_ink(image)))
            assert ratio == pytest.approx(scale**2, rel=0.2)


def test_a_crop_can_cut_the_drawing_which_is_why_image_graph_does_not_crop(
    depictions: torch.Tensor,
) -> None:
    torch.manual_seed(0)
    cut = 0
    for _ in range(10):
        views = crop(depictions, 0.6)
        for view, image in zip(views, depictions, strict=True):
            # for a depiction with a blank margin, drawing at the edge was cut through
            if not _at_edge(_ink(image)):
                cut += _at_edge(_ink(view))
    assert cut > 0


def _at_edge(mask: torch.Tensor) -> bool:
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="zoom_scale"):
        ImageAugmentConfig(zoom_scale=0.0)
    with pytest.raises(ValueError, match="flip_prob"):
        ImageAugmentConfig(flip_prob=2.0)
    with pytest.raises(ValueError, match="augment"):
        ImageGraphConfig(augment={"shear": 0.1})
    assert np.isclose(ImageAugmentConfig().crop_scale, 1.0)
