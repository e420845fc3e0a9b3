"""Losses and similarities the pre-training strategies share (torch only).

Written here, not taken from a library: the contrastive and triplet variants below (soft
targets, per-pair margins, per-row weights) are not in torch or torchmetrics, and pulling in a
metric-learning package for four short functions would add a dependency for little.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def nt_xent(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised temperature-scaled cross-entropy over two views, and top-1 accuracy.

    Args:
        z1: `[b, d]` projections of the first views.
        z2: `[b, d]` projections of the second views; row i is the positive of `z1` row i.
        temperature: tau.

    Returns:
        The loss averaged over all `2b` views (a scalar), and the fraction of views whose most
        similar other view is their positive (a scalar).
    """
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    # SimCLR eq. 1: l(i, j) = -log exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * b, dtype=torch.bool, device=z.device), -math.inf)
    positive = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(z.device)
    loss = F.cross_entropy(logits, positive)
    accuracy = (logits.argmax(dim=1) == positive).float().mean()
    return loss, accuracy


def info_nce(
    query: torch.Tensor,
    key: torch.Tensor,
    temperature: float = 0.1,
    weights: torch.Tensor | None = None,
    symmetric: bool = True,
    same: torch.Tensor | None = None,
) -> torch.Tensor:
    """InfoNCE between paired rows of two sets (CLIP style): row i of `query` must pick row i of
    `key` among all rows of the batch, on cosine similarity.

    Args:
        query: `[b, d]` embeddings.
        key: `[b, d]` embeddings; row i is the positive of `query` row i, the others negatives.
        temperature: tau.
        weights: `[b]` non-negative weight of each pair's term (e.g. a reaction's yield); a pair
            of weight 0 contributes no gradient. `None`: all 1. Normalised by their sum.
        symmetric: also score `key -> query` and average both directions.
        same: `[b]` group of each row (e.g. which product a reaction makes): rows of one group
            are not negatives of each other (left out of each other's softmax), so duplicates
            are not pushed apart. `None`: every other row is a negative.

    Returns:
        A scalar.
    """
    logits = F.normalize(query.float(), dim=1) @ F.normalize(key.float(), dim=1).T / temperature
    if same is not None:
        duplicate = same.unsqueeze(0) == same.unsqueeze(1)
        duplicate.fill_diagonal_(False)
        logits = logits.masked_fill(duplicate, -math.inf)
    target = torch.arange(len(query), device=query.device)
    per_row = F.cross_entropy(logits, target, reduction="none")
    if symmetric:
        per_row = (per_row + F.cross_entropy(logits.T, target, reduction="none")) / 2
    return _weighted_mean(per_row, weights)


def soft_target_contrastive(
    first: torch.Tensor, second: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Contrastive loss with soft targets (as in the ACML reference implementation).

    logits = first · secondᵀ / τ; targets = softmax(τ · (first·firstᵀ + second·secondᵀ) / 2)
    row-wise, so near-duplicate molecules are not pure negatives; cross-entropy over rows and
    over columns, averaged. The embeddings are used as given (the reference does not L2-normalise
    its projections).

    Args:
        first, second: `[b, d]` embeddings of the same molecules in two modalities.
        temperature: τ.

    Returns:
        A scalar.
    """
    first, second = first.float(), second.float()
    logits = first @ second.T / temperature
    targets = F.softmax((first @ first.T + second @ second.T) / 2 * temperature, dim=-1)
    rows = torch.sum(-targets * F.log_softmax(logits, dim=-1), dim=-1)
    columns = torch.sum(-targets.T * F.log_softmax(logits.T, dim=-1), dim=-1)
    return ((rows + columns) / 2).mean()


def relational_kl(
    student: torch.Tensor, teacher: torch.Tensor, temperature: float = 0.1
) -> torch.Tensor:
    """Relational distillation: the student keeps the teacher's pairwise similarities.

    Each row's cosine similarities to the other rows of the batch (the diagonal left out),
    divided by `temperature` and softmaxed, give a distribution over neighbours;
    loss = KL(teacher row || student row), averaged over rows. Zero when the two similarity
    matrices agree; the embeddings' widths may differ.

    Args:
        student: `[b, d_s]` embeddings (gradients flow here).
        teacher: `[b, d_t]` embeddings of the same molecules (treated as fixed targets).
        temperature: sharpness of the neighbour distributions.
    """
    b = student.shape[0]
    if b < 2:
        return student.sum() * 0.0
    eye = torch.eye(b, dtype=torch.bool, device=student.device)

    def neighbours(z: torch.Tensor) -> torch.Tensor:
        z = F.normalize(z.float(), dim=1)
        similarity = (z @ z.T / temperature).masked_fill(eye, -math.inf)
        return F.log_softmax(similarity, dim=1).masked_fill(eye, 0.0)

    target = neighbours(teacher.detach())
    return F.kl_div(neighbours(student), target, log_target=True, reduction="sum") / b


def margin_triplet(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    margin: torch.Tensor | float,
) -> torch.Tensor:
    """Triplet loss on L2-normalised embeddings with a margin per triplet.

    loss_i = max(0, ||a_i - p_i|| - ||a_i - n_i|| + margin_i), averaged.

    Args:
        anchor, positive, negative: `[b, d]` embeddings.
        margin: `[b]` (e.g. growing with the anchor-negative dissimilarity) or one number.
    """
    a, p, n = (F.normalize(t.float(), dim=1) for t in (anchor, positive, negative))
    gap = (a - p).norm(dim=1) - (a - n).norm(dim=1)
    return torch.relu(gap + margin).mean()


def batch_margin_triplet(
    anchor: torch.Tensor, positive: torch.Tensor, margin: torch.Tensor
) -> torch.Tensor:
    """Triplet loss over a batch, every other anchor a negative, with a margin per pair.

    For anchors `a`, their positives `p` and `margin [b, b]`:
    loss = mean over i != j with margin_ij > 0 of max(0, ||a_i - p_i|| - ||a_i - a_j|| +
    margin_ij), on L2-normalised embeddings. A pair with margin 0 (e.g. identical
    fingerprints, so 1 - Tanimoto = 0) is no negative and stays out, as in the multi-channel
    reference (yuewan2/MolMCL, `margin_loss`).

    Args:
        anchor, positive: `[b, d]`.
        margin: `[b, b]` margins (the diagonal is ignored).
    """
    a, p = F.normalize(anchor.float(), dim=1), F.normalize(positive.float(), dim=1)
    b = a.shape[0]
    if b < 2:
        return a.sum() * 0.0
    to_positive = (a - p).norm(dim=1, keepdim=True)  # [b, 1]
    # cdist's gradient is NaN at zero distance; the diagonal is masked anyway
    to_other = (a.unsqueeze(1) - a.unsqueeze(0)).norm(dim=2)  # [b, b]
    use = (margin.float() > 0) & ~torch.eye(b, dtype=torch.bool, device=a.device)
    terms = torch.relu(to_positive - to_other + margin.float())
    return (terms * use).sum() / use.sum().clamp_min(1)


def ranked_triplet(
    embeddings: torch.Tensor, distance: torch.Tensor, margin: float, threshold: float = 0.3
) -> torch.Tensor:
    """Triplets inside a batch that keep the order of a reference distance (the multi-channel
    reference's adaptive margin term, yuewan2/MolMCL `adaptive_margin_loss`).

    For every anchor i and pair (j, k) with `distance[i, k] - distance[i, j] > threshold` (j
    much closer to i than k is, e.g. by 1 - Tanimoto), the embeddings must keep j closer by
    `margin` times that difference: max(0, margin·diff + ||e_i - e_j|| - ||e_i - e_k||), on
    L2-normalised embeddings, averaged over the `b²` triplets of largest difference (all of
    them when fewer); 0 when no triplet qualifies.

    Args:
        embeddings: `[b, d]`.
        distance: `[b, b]` reference distances (e.g. 1 - Tanimoto of fingerprints).
    """
    e = F.normalize(embeddings.float(), dim=1)
    b = e.shape[0]
    apart = (e.unsqueeze(1) - e.unsqueeze(0)).norm(dim=2)  # [b, b]
    distance = distance.float()
    diff = distance.unsqueeze(1) - distance.unsqueeze(2)  # [i, j, k] = d(i, k) - d(i, j)
    eye = torch.eye(b, dtype=torch.bool, device=e.device)
    valid = (diff > threshold) & ~eye.unsqueeze(2) & ~eye.unsqueeze(1)
    i, j, k = valid.nonzero(as_tuple=True)
    if i.numel() == 0:
        return e.sum() * 0.0
    values = diff[i, j, k]
    if values.numel() > b * b:
        top = torch.topk(values, b * b).indices
        i, j, k, values = i[top], j[top], k[top], values[top]
    return torch.relu(values * margin + apart[i, j] - apart[i, k]).mean()


def tanimoto(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Pairwise Tanimoto similarity `[n, m]` of bit or count fingerprints `[n, d]`, `[m, d]`.

    For counts this is the generalised (min/max) form, sum(min(a, b)) / sum(max(a, b)); for 0/1
    vectors it equals |a ∧ b| / |a ∨ b|. Computed as (S - L1) / (S + L1) with S = sum a + sum b
    and L1 the pairwise L1 distance, so no `[n, m, d]` tensor is formed. Two empty fingerprints
    have similarity 0 (as RDKit's TanimotoSimilarity).
    """
    a, b = first.float(), second.float()
    total = a.sum(dim=1, keepdim=True) + b.sum(dim=1).unsqueeze(0)
    l1 = torch.cdist(a, b, p=1)
    union = total + l1
    return torch.where(union > 0, (total - l1) / union.clamp_min(1e-12), torch.zeros_like(union))


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    if weights is None:
        return values.mean()
    weights = weights.to(values.dtype)
    if (weights < 0).any():
        raise ValueError("loss weights must be non-negative")
    return (values * weights).sum() / weights.sum().clamp_min(1e-12)
