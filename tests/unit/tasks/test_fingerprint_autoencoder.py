import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from molbridge.encoders.fingerprint import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.featurize import ECFPFeaturizer
from molbridge.tasks.pretrain.fingerprint_autoencoder import (
    FingerprintAutoencoderConfig,
    FingerprintAutoencoderPretraining,
)

SMILES = [
    "CCO",
    "c1ccccc1",
    "CC(=O)Nc1ccc(O)cc1",
    "CCCCCCCCCC",
    "OC(=O)c1ccccc1O",
    "CN1CCCC1",
    "c1ccncc1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
]
N_BITS = 256


def _bits() -> torch.Tensor:
    return torch.from_numpy(ECFPFeaturizer(radius=2, n_bits=N_BITS).many(SMILES))


def _task(target: str = "fingerprint", in_dim: int = N_BITS) -> FingerprintAutoencoderPretraining:
    encoder = FingerprintEncoder(FingerprintEncoderConfig(in_dim, (64,), 32, dropout=0.0))
    config = FingerprintAutoencoderConfig(lr=3e-3, target=target, decoder_hidden_dim=64)
    return FingerprintAutoencoderPretraining(encoder, config)


def _overfit(task: FingerprintAutoencoderPretraining, x: torch.Tensor, steps: int) -> list[float]:
    optimizer = torch.optim.Adam(task.parameters(), lr=task.lr)
    losses = []
    for _ in range(steps):
        loss, _ = task.loss(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def test_loss_halves_when_overfitting_eight_fingerprints() -> None:
    torch.manual_seed(0)
    task = _task()
    bits = _bits()
    losses = _overfit(task, bits, 60)
    assert losses[-1] < 0.5 * losses[0]
    # the clean input is recovered: most set bits come back set
    task.eval()
    with torch.no_grad():
        _, logs = task.loss(bits)
    assert logs["on_bit_recall"] > 0.5


def test_loss_halves_when_overfitting_normalised_descriptors() -> None:
    torch.manual_seed(0)
    task = _task("descriptors", in_dim=12)
    x = torch.randn(8, 12).clamp(-5, 5)
    losses = _overfit(task, x, 80)
    assert losses[-1] < 0.5 * losses[0]


def test_input_noise_drops_bits_only_in_the_input() -> None:
    torch.manual_seed(0)
    task = _task()
    seen: list[torch.Tensor] = []
    task.encoder.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    bits = _bits()
    task.loss((bits,))  # a 1-tuple, as a TensorDataset loader yields
    corrupted = seen[0]
    dropped = (bits.float() == 1) & (corrupted == 0)
    assert dropped.any()
    assert not ((bits.float() == 0) & (corrupted != 0)).any()  # masking never sets a bit
    fraction = dropped.sum() / (bits == 1).sum()
    assert 0.05 < float(fraction) < 0.4  # about input_dropout = 0.2


def test_count_fingerprints_are_refused_for_the_bce_target() -> None:
    task = _task()
    counts = torch.from_numpy(ECFPFeaturizer(n_bits=N_BITS, counts=True).many(SMILES))
    assert counts.max() > 1
    with pytest.raises(ValueError, match="0/1"):
        task.loss(counts)


def test_config_validation_and_round_trip() -> None:
    config = FingerprintAutoencoderConfig(target="descriptors", input_dropout=0.1)
    assert config.to_config() == {
        "name": "fingerprint-autoencoder",
        "lr": 1e-3,
        "input_dropout": 0.1,
        "target": "descriptors",
        "decoder_hidden_dim": 512,
    }
    with pytest.raises(ValueError, match="fingerprint"):
        FingerprintAutoencoderConfig(target="smiles")
    with pytest.raises(ValueError, match="input_dropout"):
        FingerprintAutoencoderConfig(input_dropout=1.0)


def test_fast_dev_run_trains_and_keeps_a_history() -> None:
    torch.manual_seed(0)
    task = _task()
    task.log_every = 1
    loader = DataLoader(TensorDataset(_bits()), batch_size=4)
    before = task.encoder.layers[0].weight.detach().clone()
    trainer = L.Trainer(
        fast_dev_run=True,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(task, loader)
    assert trainer.global_step == 1
    assert not torch.equal(before, task.encoder.layers[0].weight)
    assert len(task.history) == 1
    assert set(task.history[0]) == {"step", "loss", "on_bit_recall"}
