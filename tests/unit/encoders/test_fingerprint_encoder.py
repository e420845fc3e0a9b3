import numpy as np
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.encoders.fingerprint import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.featurize import ECFPFeaturizer


def test_output_shape_and_out_dim_on_float_input() -> None:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(64, (32, 16), 8))
    out = encoder(torch.randn(5, 64))
    assert out.shape == (5, encoder.out_dim) == (5, 8)
    assert out.dtype == torch.float32


def test_uint8_ecfp_input_is_cast_and_matches_float() -> None:
    featurizer = ECFPFeaturizer(radius=2, n_bits=128)
    bits = torch.from_numpy(featurizer.many(["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]))
    assert bits.dtype == torch.uint8
    encoder = FingerprintEncoder(FingerprintEncoderConfig(128, (32,), 16)).eval()
    with torch.no_grad():
        out = encoder(bits)
        assert torch.equal(out, encoder(bits.float()))
        assert torch.equal(encoder(bits.bool()), out)
    assert out.shape == (3, 16)


def test_embedding_does_not_depend_on_batch_neighbours_in_eval() -> None:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(32, (16,), 4, dropout=0.5)).eval()
    x = torch.rand(4, 32)
    with torch.no_grad():
        assert torch.allclose(encoder(x)[2], encoder(x[2:3])[0], atol=1e-6)


def test_layers_follow_the_config() -> None:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(2048))
    linears = [m for m in encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (2048, 1024),
        (1024, 512),
        (512, 300),
    ]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in encoder.modules()) == 2
    plain = FingerprintEncoder(FingerprintEncoderConfig(10, (), 3, dropout=0.0, batch_norm=False))
    assert [type(m) for m in plain.layers] == [torch.nn.Linear]


def test_gradients_reach_the_first_layer() -> None:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(16, (8,), 4))
    encoder(torch.rand(3, 16)).square().sum().backward()
    first = encoder.layers[0]
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0


def test_config_round_trip_and_validation() -> None:
    config = FingerprintEncoderConfig(1024, (256, 128, 64), 32, 0.2, False)
    saved = config.to_config()
    assert saved["name"] == "fingerprint-mlp" and saved["hidden_dims"] == [256, 128, 64]
    assert FingerprintEncoderConfig.from_config(saved) == config
    with pytest.raises(ValueError, match="dropout"):
        FingerprintEncoderConfig(16, dropout=1.0)
    with pytest.raises(ValueError, match="width"):
        FingerprintEncoderConfig(0)


def test_wrong_input_width_raises() -> None:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(16, (8,), 4))
    with pytest.raises(ValueError, match=r"\[batch, 16\]"):
        encoder(torch.zeros(2, 17))
    with pytest.raises(ValueError, match=r"\[batch, 16\]"):
        encoder(torch.zeros(16))


def test_descriptor_vectors_feed_the_same_encoder() -> None:
    from molbridge.featurize.descriptors import DescriptorFeaturizer

    featurizer = DescriptorFeaturizer(names=("MolWt", "TPSA", "NumHDonors", "RingCount"))
    raw = np.stack([featurizer(parse_smiles(s)) for s in ["CCO", "c1ccccc1", "CCN"]])
    x = torch.from_numpy(featurizer.fit(raw).transform(raw))
    encoder = FingerprintEncoder(FingerprintEncoderConfig(featurizer.n_descriptors, (8,), 4))
    assert encoder(x).shape == (3, 4)
