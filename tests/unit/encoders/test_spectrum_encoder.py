import pytest
import torch

from molbridge.encoders.spectrum import SpectrumEncoder, SpectrumEncoderConfig


def test_output_shape_with_defaults() -> None:
    encoder = SpectrumEncoder(SpectrumEncoderConfig())
    out = encoder(torch.rand(3, 512))
    assert out.shape == (3, 256) and encoder.out_dim == 256


@pytest.mark.parametrize(("n_bins", "channels"), [(64, (8, 16)), (37, (4, 4, 4)), (16, (4,) * 4)])
def test_output_shape_for_other_lengths(n_bins: int, channels: tuple[int, ...]) -> None:
    config = SpectrumEncoderConfig(n_bins=n_bins, channels=channels, kernel_size=3, out_dim=12)
    encoder = SpectrumEncoder(config).eval()
    assert encoder(torch.rand(2, n_bins)).shape == (2, 12)
    assert encoder(torch.rand(1, n_bins)).shape == (1, 12)  # eval mode: batch of one is fine


def test_wrong_input_shape_raises() -> None:
    encoder = SpectrumEncoder(SpectrumEncoderConfig(n_bins=64, channels=(8,)))
    with pytest.raises(ValueError, match=r"\[batch, 64\]"):
        encoder(torch.rand(2, 65))
    with pytest.raises(ValueError, match=r"\[batch, 64\]"):
        encoder(torch.rand(2, 1, 64))


def test_config_validation_and_round_trip() -> None:
    with pytest.raises(ValueError, match="too short"):
        SpectrumEncoderConfig(n_bins=8, channels=(4, 4, 4, 4))
    with pytest.raises(ValueError, match="odd"):
        SpectrumEncoderConfig(kernel_size=4)
    config = SpectrumEncoderConfig(n_bins=128, channels=(8, 16), out_dim=32, dropout=0.0)
    data = config.to_config()
    assert data["name"] == "spectrum-cnn" and data["channels"] == [8, 16]
    assert SpectrumEncoderConfig.from_config(data) == config


def test_gradients_reach_the_first_convolution() -> None:
    encoder = SpectrumEncoder(SpectrumEncoderConfig(n_bins=64, channels=(4, 8), out_dim=8))
    encoder(torch.rand(4, 64)).sum().backward()
    assert encoder.stages[0].weight.grad is not None
