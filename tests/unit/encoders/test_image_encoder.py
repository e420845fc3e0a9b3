import pytest
import torch

from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig

TINY = ImageEncoderConfig(widths=(8, 16), blocks=(1, 1))


def test_default_is_resnet18_without_its_classifier() -> None:
    encoder = ImageEncoder(ImageEncoderConfig())
    # torchvision's resnet18: 11,689,512 parameters, of which the fc layer has 512 * 1000 + 1000
    assert sum(p.numel() for p in encoder.parameters()) == 11_689_512 - 513_000 == 11_176_512
    assert encoder.out_dim == 512
    assert sum(1 for m in encoder.modules() if isinstance(m, torch.nn.Conv2d)) == 20  # 17 + 3


@pytest.mark.parametrize("size", [32, 64, 100])
def test_shapes_for_uint8_and_float_input(size: int) -> None:
    torch.manual_seed(0)
    encoder = ImageEncoder(TINY).eval()
    images = torch.randint(0, 256, (2, 3, size, size), dtype=torch.uint8)
    out = encoder(images)
    assert out.shape == (2, 16) and out.dtype == torch.float32
    # uint8 in 0..255 and float in [0, 1] are the same input
    torch.testing.assert_close(encoder(images.float() / 255), out)
    assert encoder.feature_map(images).shape[1] == 16


def test_normalize_uses_fixed_buffers() -> None:
    encoder = ImageEncoder(ImageEncoderConfig(widths=(4,), blocks=(1,), mean=(0.5,) * 3))
    white = torch.full((1, 3, 32, 32), 255, dtype=torch.uint8)
    normalized = encoder.normalize(white)
    expected = (1.0 - 0.5) / torch.tensor(encoder.config.std)
    torch.testing.assert_close(normalized[0, :, 0, 0], expected)
    assert "pixel_mean" in encoder.state_dict()
    assert not any(n.startswith("pixel") for n, _ in encoder.named_parameters())


def test_grayscale_projection_and_backward() -> None:
    config = ImageEncoderConfig(in_channels=1, widths=(8, 16), blocks=(1, 2), projection_dim=5)
    encoder = ImageEncoder(config)
    assert config.mean == (0.955,) and encoder.out_dim == 5
    out = encoder(torch.randint(0, 256, (3, 1, 48, 48), dtype=torch.uint8))
    assert out.shape == (3, 5)
    out.sum().backward()
    assert encoder.stem[0].weight.grad is not None


def test_bf16_autocast_runs() -> None:
    encoder = ImageEncoder(TINY)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = encoder(torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8))
    assert out.shape == (2, 16) and torch.isfinite(out.float()).all()


def test_config_round_trip() -> None:
    config = ImageEncoderConfig(widths=(8, 16), blocks=(1, 1), projection_dim=7)
    data = config.to_config()
    assert data["name"] == "resnet" and data["widths"] == [8, 16]
    assert ImageEncoderConfig.from_config(data) == config


def test_bad_configs_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="one entry per stage"):
        ImageEncoderConfig(widths=(8, 16), blocks=(1,))
    with pytest.raises(ValueError, match="mean and std"):
        ImageEncoderConfig(in_channels=2)
    with pytest.raises(ValueError, match="mean and std need 1"):
        ImageEncoderConfig(in_channels=1, mean=(0.5, 0.5, 0.5))
    encoder = ImageEncoder(TINY)
    with pytest.raises(ValueError, match=r"\[b, 3, H, W\]"):
        encoder(torch.zeros(2, 1, 32, 32))
    with pytest.raises(TypeError, match="uint8 or float"):
        encoder(torch.zeros(2, 3, 32, 32, dtype=torch.int64))
