import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from molbridge.encoders.smiles import SmilesEncoder, SmilesEncoderConfig
from molbridge.tasks.pretrain.masked_tokens import MaskedTokenPretraining, MaskedTokensConfig

# ids as SmilesVocabulary lays them out: <pad>=0, <unk>=1, <mask>=2, <cls>=3, <eos>=4, then tokens
PAD, UNK, MASK, CLS, EOS, VOCAB = 0, 1, 2, 3, 4, 14
IDS = torch.tensor(
    [
        [CLS, 5, 5, 6, 7, 5, 8, EOS, PAD, PAD, PAD, PAD],
        [CLS, 9, 10, 9, 10, 9, 11, 5, 5, EOS, PAD, PAD],
        [CLS, 12, 13, 5, 6, 5, EOS, PAD, PAD, PAD, PAD, PAD],
        [CLS, 5, 6, 7, 8, 9, 10, 11, 12, 13, EOS, PAD],
    ]
)


def _task(lr: float = 1e-4, **config) -> MaskedTokenPretraining:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    encoder = SmilesEncoder(
        SmilesEncoderConfig(
            VOCAB, max_length=12, d_model=32, num_layers=2, num_heads=4, ff_dim=64, dropout=0.0
        )
    )
    return MaskedTokenPretraining(
        encoder,
        mask_index=MASK,
        pad_index=PAD,
        cls_index=CLS,
        eos_index=EOS,
        vocab_size=VOCAB,
        config=MaskedTokensConfig(lr=lr, **config),
        random_exclude=(UNK,),
    )


def test_special_positions_are_never_chosen_and_the_80_10_10_rule() -> None:
    task = _task(mask_rate=0.5)
    ids = IDS.repeat(200, 1)
    corrupted, chosen = task.corrupt(ids)
    assert not chosen[(ids == PAD) | (ids == CLS) | (ids == EOS)].any()
    assert torch.equal(corrupted[~chosen], ids[~chosen])
    real = (ids >= 5).sum()
    assert abs(chosen.sum() / real - 0.5) < 0.03
    new = corrupted[chosen]
    as_mask = (new == MASK).float().mean()
    kept = (new == ids[chosen]).float().mean()  # kept, or a random draw of the same token
    assert abs(as_mask - 0.8) < 0.03 and abs(kept - 0.1 - 0.1 / 9) < 0.03
    assert not ((new == UNK) | (new == PAD) | (new == CLS) | (new == EOS)).any()


def test_at_least_one_position_is_chosen() -> None:
    task = _task(mask_rate=1e-6)
    _, chosen = task.corrupt(IDS[:1])
    assert chosen.sum() == 1


def test_loss_overfits_four_molecules() -> None:
    task = _task(lr=3e-3)
    optimizer = task.configure_optimizers()
    batch = IDS.repeat(4, 1)  # 16 rows: more masked positions per step, less noise
    losses = []
    for _ in range(50):
        loss, logs = task.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first / 2, (first, last)
    assert 0.0 <= logs["accuracy"] <= 1.0


def test_bad_arguments_raise() -> None:
    task = _task()
    with pytest.raises(ValueError, match="int64"):
        task.loss(IDS.float())
    with pytest.raises(ValueError, match="special"):
        task.loss(torch.tensor([[CLS, EOS, PAD]]))
    with pytest.raises(ValueError, match="vocab_size"):
        MaskedTokenPretraining(
            task.encoder, mask_index=MASK, pad_index=PAD, cls_index=CLS, eos_index=EOS,
            vocab_size=VOCAB + 1,
        )  # fmt: skip
    with pytest.raises(ValueError, match="distinct"):
        MaskedTokenPretraining(
            task.encoder, mask_index=PAD, pad_index=PAD, cls_index=CLS, eos_index=EOS,
            vocab_size=VOCAB,
        )  # fmt: skip
    assert MaskedTokensConfig().to_config()["name"] == "masked-tokens"
    with pytest.raises(ValueError, match="sum"):
        MaskedTokensConfig(replace_with_mask=0.9, replace_with_random=0.2)


def test_fast_dev_run_with_a_tensor_dataset() -> None:
    task = _task()
    task.log_every = 1
    loader = DataLoader(TensorDataset(IDS), batch_size=2)  # batches are 1-tuples
    trainer = L.Trainer(
        fast_dev_run=True, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(task, loader)
    assert len(task.history) == 1 and task.history[0]["loss"] > 0
    assert "accuracy" in task.history[0]
