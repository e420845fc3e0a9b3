"""Cross-modal retrieval: given an embedding in one modality, find the same molecule's embedding
in another, by cosine similarity; top-k accuracy in both directions.

Written here because torchmetrics' retrieval metrics score ranked lists of given relevance,
not "row i of A matches row i of B" over a similarity matrix, which is what this is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def retrieval_topk(
    first: torch.Tensor,
    second: torch.Tensor,
    ks: tuple[int, ...] = (1, 5, 10),
    batch_size: int | None = None,
) -> dict[str, float]:
    """Top-k retrieval accuracy between paired rows, both directions.

    Args:
        first, second: `[n, d]` and `[n, d']` (d' = d) embeddings; row i of each is one molecule.
        ks: the k of each top-k.
        batch_size: candidates are the rows of the same consecutive block of this size (the
            published protocol: 128, chance top-1 = 1/128); `None`: all `n` rows.

    Returns:
        `{"forward_top{k}": .., "backward_top{k}": ..}`: forward finds `second`'s row from
        `first`'s, backward the reverse. A tie with the true match counts against it (the rank
        is the number of candidates at least as similar, other than the match itself).
    """
    if first.shape != second.shape:
        raise ValueError(
            f"paired embeddings must have one shape, got {first.shape}, {second.shape}"
        )
    a = F.normalize(first.float(), dim=1)
    b = F.normalize(second.float(), dim=1)
    size = batch_size or len(a)
    hits = {f"{d}_top{k}": 0 for d in ("forward", "backward") for k in ks}
    for start in range(0, len(a), size):
        sim = a[start : start + size] @ b[start : start + size].T
        for direction, matrix in (("forward", sim), ("backward", sim.T)):
            true = matrix.diagonal().unsqueeze(1)
            rank = (matrix >= true).sum(dim=1) - 1  # candidates other than the match itself
            for k in ks:
                hits[f"{direction}_top{k}"] += int((rank < k).sum())
    return {name: count / len(a) for name, count in hits.items()}
