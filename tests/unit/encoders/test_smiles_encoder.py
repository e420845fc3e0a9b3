import pytest
import torch

from molbridge.encoders.smiles import SmilesEncoder, SmilesEncoderConfig


def _encoder(pooling: str = "cls") -> SmilesEncoder:
    torch.manual_seed(0)
    config = SmilesEncoderConfig(
        vocab_size=12, max_length=10, d_model=16, num_layers=2, num_heads=2, ff_dim=32,
        dropout=0.0, pooling=pooling,
    )  # fmt: skip
    return SmilesEncoder(config).eval()


IDS = torch.tensor([[3, 5, 6, 7, 4, 0, 0, 0], [3, 5, 4, 0, 0, 0, 0, 0]])


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_shapes(pooling: str) -> None:
    encoder = _encoder(pooling)
    assert encoder.out_dim == 16
    assert encoder(IDS).shape == (2, 16)
    assert encoder.token_states(IDS).shape == (2, 8, 16)


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_padding_is_masked(pooling: str) -> None:
    encoder = _encoder(pooling)
    with torch.no_grad():
        base = encoder(IDS)
        # more trailing padding changes nothing
        longer = torch.cat([IDS, torch.zeros(2, 2, dtype=torch.long)], dim=1)
        assert torch.allclose(encoder(longer), base, atol=1e-5)
        # with an explicit mask, whatever ids sit at the masked positions are ignored
        padding = IDS == 0
        noise = torch.where(padding, torch.randint(1, 12, IDS.shape), IDS)
        assert torch.allclose(encoder(noise, padding), base, atol=1e-5)
        # ...while a real token change does move the embedding
        changed = IDS.clone()
        changed[0, 2] = 9
        assert not torch.allclose(encoder(changed)[0], base[0], atol=1e-5)


def test_gradients_reach_the_embeddings() -> None:
    encoder = _encoder("mean").train()
    encoder(IDS).sum().backward()
    assert encoder.token_embedding.weight.grad is not None
    assert encoder.position_embedding.weight.grad is not None


def test_config_round_trip_and_errors() -> None:
    config = SmilesEncoderConfig(vocab_size=40, pooling="mean")
    data = config.to_config()
    assert data["name"] == "smiles-transformer"
    assert SmilesEncoderConfig.from_config(data) == config
    with pytest.raises(ValueError, match="pooling"):
        SmilesEncoderConfig(vocab_size=40, pooling="max")
    with pytest.raises(ValueError, match="divide"):
        SmilesEncoderConfig(vocab_size=40, d_model=30, num_heads=8)
    encoder = _encoder()
    with pytest.raises(ValueError, match="max_length"):
        encoder(torch.zeros(1, 11, dtype=torch.long))
    with pytest.raises(ValueError, match="batch, length"):
        encoder(torch.zeros(11, dtype=torch.long))
