"""Retrieval top-k on constructed cases with a known answer."""

import pytest
import torch

from molbridge.metrics.retrieval import retrieval_topk


def test_identical_embeddings_retrieve_perfectly_both_ways() -> None:
    z = torch.eye(10)
    scores = retrieval_topk(z, z, ks=(1, 5))
    assert all(value == 1.0 for value in scores.values())


def test_a_known_permutation_gives_known_ranks() -> None:
    # second row i sits next to first row i+1 (mod n): the match of each row ranks second
    n = 8
    angles = torch.arange(n) * (2 * torch.pi / n)
    first = torch.stack([angles.cos(), angles.sin()], dim=1)
    second = torch.stack([(angles + 0.3).cos(), (angles + 0.3).sin()], dim=1)
    scores = retrieval_topk(first, second, ks=(1, 2))
    assert scores["forward_top1"] == 1.0 and scores["backward_top1"] == 1.0
    shifted = torch.roll(second, 1, dims=0)  # now row i's match is the neighbour of its best
    scores = retrieval_topk(first, shifted, ks=(1, 2, 3))
    assert scores["forward_top1"] == 0.0 and scores["forward_top3"] == 1.0


def test_within_blocks_the_candidates_are_the_block_only() -> None:
    torch.manual_seed(0)
    z = torch.randn(256, 32)
    noisy = z + 0.01 * torch.randn_like(z)
    assert retrieval_topk(z, noisy, ks=(1,), batch_size=128)["forward_top1"] == 1.0
    # a random pairing is at chance: about 1/128 within blocks of 128
    chance = retrieval_topk(z, torch.randn(256, 32), ks=(1,), batch_size=128)["forward_top1"]
    assert chance < 0.05


def test_ties_count_against_the_match() -> None:
    z = torch.ones(4, 3)
    assert retrieval_topk(z, z, ks=(1,))["forward_top1"] == 0.0
    with pytest.raises(ValueError, match="one shape"):
        retrieval_topk(torch.ones(4, 3), torch.ones(3, 3))
