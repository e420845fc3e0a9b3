"""The shared losses: each behaves as its definition says on cases with a known answer."""

import pytest
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molbridge.nn.losses import (
    info_nce,
    margin_triplet,
    relational_kl,
    soft_target_contrastive,
    tanimoto,
)


def test_info_nce_is_low_for_matched_pairs_and_high_for_shuffled() -> None:
    torch.manual_seed(0)
    z = torch.randn(32, 16)
    assert info_nce(z, z, 0.1) < 0.05 < 1.0 < info_nce(z, z[torch.randperm(32)], 0.1)


def test_info_nce_weight_zero_pairs_give_no_gradient() -> None:
    torch.manual_seed(0)
    query = torch.randn(8, 4, requires_grad=True)
    key = torch.randn(8, 4)
    weights = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    # a pair of weight 0 still serves as a negative of the others; only its own term is gone
    info_nce(query, key, weights=weights, symmetric=False).backward()
    assert query.grad is not None
    assert torch.count_nonzero(query.grad[1]) == 0 and torch.count_nonzero(query.grad[4]) == 0
    assert torch.count_nonzero(query.grad[0]) > 0


def test_soft_targets_become_one_hot_for_orthogonal_embeddings() -> None:
    # orthogonal rows of a large norm: both self-similarity matrices are s^2 I, the soft
    # targets are one-hot, and the loss is the plain symmetric cross-entropy on the identity
    eye = torch.eye(6) * 10.0
    loss = soft_target_contrastive(eye, eye, temperature=1.0)
    assert loss == pytest.approx(0.0, abs=1e-6)
    shuffled = soft_target_contrastive(eye, eye[torch.roll(torch.arange(6), 1)], temperature=1.0)
    assert shuffled > 10.0


def test_symmetric_info_nce_is_symmetric_in_its_two_sides() -> None:
    torch.manual_seed(1)
    a, b = torch.randn(8, 5), torch.randn(8, 5)
    assert info_nce(a, b) == pytest.approx(float(info_nce(b, a)))


def test_margin_triplet_grows_with_the_margin_and_vanishes_when_separated() -> None:
    anchor = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    negative = -anchor
    assert margin_triplet(anchor, anchor, negative, 0.5) == 0.0  # d(a,p)=0, d(a,n)=2
    near = torch.tensor([[1.0, 0.1], [0.1, 1.0]])
    small = margin_triplet(anchor, near, anchor, torch.tensor([0.1, 0.1]))
    large = margin_triplet(anchor, near, anchor, torch.tensor([0.8, 0.8]))
    assert 0 < small < large


@pytest.mark.parametrize("counts", [False, True])
def test_tanimoto_matches_rdkit(counts: bool) -> None:
    smiles = ["CCO", "CCN", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "C"]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=512)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    if counts:
        fps = [generator.GetCountFingerprint(m) for m in mols]
        arrays = [generator.GetCountFingerprintAsNumPy(m) for m in mols]
    else:
        fps = [generator.GetFingerprint(m) for m in mols]
        arrays = [generator.GetFingerprintAsNumPy(m) for m in mols]
    ours = tanimoto(torch.tensor(arrays), torch.tensor(arrays))
    for i in range(len(mols)):
        for j in range(len(mols)):
            assert float(ours[i, j]) == pytest.approx(
                DataStructs.TanimotoSimilarity(fps[i], fps[j]), abs=1e-6
            )


def test_tanimoto_of_empty_fingerprints_is_zero() -> None:
    empty = torch.zeros(2, 8)
    assert torch.equal(tanimoto(empty, empty), torch.zeros(2, 2))


def test_info_nce_same_group_rows_are_not_negatives() -> None:
    q = torch.eye(3)
    k = torch.stack([q[0], q[0], q[2]])  # rows 0 and 1 share a key
    plain = info_nce(q, k, 0.1, symmetric=False)
    grouped = info_nce(q, k, 0.1, symmetric=False, same=torch.tensor([7, 7, 8]))
    assert grouped < plain
    # rows of different groups are unaffected: with all groups distinct nothing changes
    assert info_nce(q, k, 0.1, same=torch.arange(3)) == info_nce(q, k, 0.1)


def test_relational_kl_zero_for_matching_geometry_positive_otherwise() -> None:
    torch.manual_seed(0)
    teacher = torch.randn(8, 5)
    rotation = torch.linalg.qr(torch.randn(5, 5))[0]
    # a rotated and rescaled copy has the same cosine similarities, in another width
    same = torch.cat([teacher @ rotation * 3.0, torch.zeros(8, 2)], dim=1)
    assert float(relational_kl(same, teacher)) == pytest.approx(0.0, abs=1e-5)
    assert float(relational_kl(torch.randn(8, 7), teacher)) > 0.01
    student = torch.randn(8, 7, requires_grad=True)
    teacher_leaf = teacher.clone().requires_grad_(True)
    relational_kl(student, teacher_leaf).backward()
    assert student.grad is not None and teacher_leaf.grad is None  # the teacher is a target
    assert float(relational_kl(torch.randn(1, 3), torch.randn(1, 3))) == 0.0


def test_batch_margin_triplet_is_zero_when_every_negative_is_beyond_its_margin() -> None:
    from molbridge.nn.losses import batch_margin_triplet

    anchors = torch.eye(4)  # orthogonal: distance sqrt(2) between any two
    margin = torch.full((4, 4), 0.5)
    assert float(batch_margin_triplet(anchors, anchors, margin)) == 0.0
    # a margin past sqrt(2) can no longer be met: every pair contributes its shortfall
    loss = batch_margin_triplet(anchors, anchors, torch.full((4, 4), 2.0))
    assert abs(float(loss) - (2.0 - 2**0.5)) < 1e-6


def test_batch_margin_triplet_leaves_out_zero_margin_pairs_and_has_finite_gradients() -> None:
    from molbridge.nn.losses import batch_margin_triplet

    torch.manual_seed(0)
    anchors = torch.randn(3, 5)
    anchors[1] = anchors[0]  # a duplicate molecule: zero distance to its twin
    anchors.requires_grad_(True)
    positives = torch.randn(3, 5)
    margin = torch.full((3, 3), 0.8)
    margin[0, 1] = margin[1, 0] = 0.0  # identical fingerprints: no negative pair
    loss = batch_margin_triplet(anchors, positives, margin)
    loss.backward()
    assert anchors.grad is not None and torch.isfinite(anchors.grad).all()
    # the same as the mean over the pairs that are used, written out
    a = torch.nn.functional.normalize(anchors.detach(), dim=1)
    p = torch.nn.functional.normalize(positives, dim=1)
    terms = [
        torch.relu((a[i] - p[i]).norm() - (a[i] - a[j]).norm() + 0.8)
        for i in range(3)
        for j in range(3)
        if i != j and margin[i, j] > 0
    ]
    assert torch.allclose(loss, torch.stack(terms).mean(), atol=1e-6)


def test_ranked_triplet_asks_the_nearer_molecule_to_stay_nearer() -> None:
    from molbridge.nn.losses import ranked_triplet

    # by fingerprint, molecule 1 is much nearer to 0 than molecule 2 is
    distance = torch.tensor([[0.0, 0.1, 0.9], [0.1, 0.0, 0.9], [0.9, 0.9, 0.0]])
    ordered = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])  # 1 near 0, 2 far
    reversed_ = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.9, 0.1]])  # 2 near 0, 1 far
    assert float(ranked_triplet(ordered, distance, 0.8)) < float(
        ranked_triplet(reversed_, distance, 0.8)
    )
    # the loss written out for the ordered batch: triplets (i, j, k) with d(i,k) - d(i,j) > 0.3
    e = torch.nn.functional.normalize(ordered, dim=1)
    terms = []
    for i in range(3):
        for j in range(3):
            for k in range(3):
                gap = distance[i, k] - distance[i, j]
                if i not in (j, k) and gap > 0.3:
                    near, far = (e[i] - e[j]).norm(), (e[i] - e[k]).norm()
                    terms.append(torch.relu(0.8 * gap + near - far))
    assert len(terms) == 2  # (0, 1, 2) and (1, 0, 2)
    assert torch.allclose(ranked_triplet(ordered, distance, 0.8), torch.stack(terms).mean())
    # no pair far enough apart by fingerprint: no triplet, no loss
    assert float(ranked_triplet(ordered, torch.full((3, 3), 0.5), 0.8)) == 0.0
