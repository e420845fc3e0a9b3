"""Isomer accuracy on constructed embeddings with a known answer."""

import numpy as np
import torch

from molbridge.benchmarks.isomers import accuracy


def test_the_own_graph_must_score_highest_among_the_candidates() -> None:
    graphs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [-1.0, 0.0]])
    sets = [np.array([0, 1, 2]), np.array([1, 0, 3]), np.array([3, 2])]
    # query 0 points at graph 0 (right); query 1 points at graph 0 (wrong: its own is 1);
    # query 2 points at graph 3 (right)
    queries = torch.tensor([[1.0, 0.1], [1.0, 0.0], [-1.0, -0.1]])
    assert accuracy(queries, graphs, sets) == 2 / 3
    # a tie with another candidate counts against the query
    assert (
        accuracy(
            torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0], [2.0, 0.0]]), [np.array([0, 1])]
        )
        == 0.0
    )
