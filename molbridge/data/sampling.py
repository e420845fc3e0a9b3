"""Shuffled data order that is a function of (seed, epoch) alone.

A DataLoader with `shuffle=True` and a seeded generator draws each epoch's order from that
generator's running state, so a run resumed at epoch e starts again from epoch 0's order. torch's
`DistributedSampler` on one replica derives each epoch's permutation from `seed + epoch`, and
Lightning calls its `set_epoch` before every epoch, resumed or not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler


def epoch_shuffler(n_items: int, seed: int) -> DistributedSampler[int]:
    """A sampler over `range(n_items)` whose order depends only on `seed` and the epoch."""
    return DistributedSampler(
        cast(Dataset[int], range(n_items)), num_replicas=1, rank=0, shuffle=True, seed=seed
    )


def index_loader(
    n_items: int,
    collate: Callable[[Sequence[int]], Any],
    batch_size: int,
    seed: int,
    shuffle: bool = True,
    drop_last: bool = False,
    drop_lone_tail: bool = False,
) -> DataLoader:
    """Batches of `collate(indices)` over `range(n_items)`: shuffled by `epoch_shuffler` (each
    epoch's order a function of (seed, epoch) alone, so a resumed run shuffles as the
    uninterrupted one did), or in order. The loader's own generator keeps iterator creation from
    drawing on the global one.

    `drop_lone_tail` drops a trailing batch of exactly one item (batch norm cannot train on
    it), and only then; shuffled, it is a different item each epoch."""
    if drop_lone_tail and n_items > batch_size and n_items % batch_size == 1:
        drop_last = True
    return DataLoader(
        cast(Dataset[int], range(n_items)),  # a range is a valid map-style dataset
        batch_size=batch_size,
        sampler=epoch_shuffler(n_items, seed) if shuffle else None,
        drop_last=drop_last,
        generator=torch.Generator().manual_seed(seed),
        collate_fn=collate,
    )
