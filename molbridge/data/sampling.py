"""Shuffled data order that is a function of (seed, epoch) alone.

A DataLoader with `shuffle=True` and a seeded generator draws each epoch's order from that
generator's running state, so a run resumed at epoch e starts again from epoch 0's order. torch's
`DistributedSampler` on one replica derives each epoch's permutation from `seed + epoch`, and
Lightning calls its `set_epoch` before every epoch, resumed or not.
"""

from __future__ import annotations

from typing import cast

from torch.utils.data import Dataset, DistributedSampler


def epoch_shuffler(n_items: int, seed: int) -> DistributedSampler[int]:
    """A sampler over `range(n_items)` whose order depends only on `seed` and the epoch."""
    return DistributedSampler(
        cast(Dataset[int], range(n_items)), num_replicas=1, rank=0, shuffle=True, seed=seed
    )
