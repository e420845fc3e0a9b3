"""Molecule ids in corpus batches, id-keyed views joined to them, and the reaction stream."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from lightning.fabric.utilities.apply_func import move_data_to_device
from rdkit import Chem

from molbridge.data.batch import MultiViewBatch
from molbridge.data.corpus import ShardStream, build_corpus
from molbridge.data.corpus_views import embedding_view, fingerprint_view, image_view, smiles_view
from molbridge.data.reaction_stream import reaction_corpus, reaction_molecules
from molbridge.data.reactions import load_reactions
from molbridge.data.views import ViewJoin
from molbridge.encoders import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.featurize import ECFPFeaturizer, ImageFeaturizer
from molbridge.tasks.pretrain.base import batch_size
from tests.helpers import small_encoder

SMILES = ["CCO", "not a smiles", "c1ccccc1O", "CCN", "", "CC(=O)O", "C1CCCCC1", "CCCl"] * 3


@pytest.fixture
def corpus(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "corpus.csv"
    pd.DataFrame({"smiles": SMILES}).to_csv(path, index=False)
    return build_corpus(path, cache_dir=tmp_path / "cache", shard_size=7, progress=False)


def test_batches_carry_the_ids_of_their_molecules(corpus) -> None:  # type: ignore[no-untyped-def]
    smiles = smiles_view(corpus)
    seen = []
    for batch in ShardStream(corpus, batch_size=3, seed=1):
        assert batch.ids is not None and len(batch.ids) == batch.num_graphs
        for mol_id, n_atoms in zip(
            batch.ids.tolist(), torch.bincount(batch.batch).tolist(), strict=True
        ):
            assert Chem.MolFromSmiles(SMILES[mol_id]).GetNumAtoms() == n_atoms
        seen += batch.ids.tolist()
    assert smiles.has(np.array(seen)).all()  # only valid molecules have graphs
    assert smiles.texts(np.array([0, 2])) == ["CCO", "c1ccccc1O"]


def test_fingerprint_view_is_ecfp_by_id_and_absent_for_invalid_rows(corpus) -> None:  # type: ignore[no-untyped-def]
    featurizer = ECFPFeaturizer(2, 64)
    view = fingerprint_view(corpus, featurizer)
    values, present = view.lookup(np.array([0, 1, 2, 4]))
    assert present.tolist() == [True, False, True, False]
    assert torch.equal(values[0], torch.from_numpy(featurizer(Chem.MolFromSmiles("CCO"))))
    assert torch.equal(values[2], torch.from_numpy(featurizer(Chem.MolFromSmiles("c1ccccc1O"))))
    assert values[1].sum() == 0
    assert fingerprint_view(corpus, featurizer).root == view.root  # computed once, then found


def test_embedding_views_match_their_encoders(corpus) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    encoder = small_encoder().eval()
    view = embedding_view(corpus, encoder, {"test": "graph"}, dtype=np.float32)
    batch = next(iter(ShardStream(corpus, batch_size=4, seed=0)))
    with torch.no_grad():
        expected = encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch, 4)
    got, present = view.lookup(batch.ids.numpy())
    assert present.all() and torch.allclose(got, expected, atol=1e-5)

    fingerprints = fingerprint_view(corpus, ECFPFeaturizer(2, 64))
    mlp = FingerprintEncoder(FingerprintEncoderConfig(64, (), 8)).eval()
    on_bits = embedding_view(corpus, mlp, {"test": "mlp"}, source=fingerprints, dtype=np.float32)
    ids = np.array([0, 1, 2])
    bits, has = fingerprints.lookup(ids)
    got, present = on_bits.lookup(ids)
    assert torch.equal(present, has)
    with torch.no_grad():
        assert torch.allclose(got[has], mlp(bits[has]), atol=1e-5)


def test_images_are_rendered_on_demand_with_a_bounded_cache(corpus) -> None:  # type: ignore[no-untyped-def]
    featurizer = ImageFeaturizer(size=32)
    view = image_view(corpus, featurizer, cache_size=2)
    images, present = view.lookup(np.array([0, 2, 3, 1]))
    assert present.tolist() == [True, True, True, False] and view.renders == 3
    assert np.array_equal(images[0].numpy(), featurizer(Chem.MolFromSmiles("CCO")))
    view.lookup(np.array([3]))  # still cached
    assert view.renders == 3 and len(view._cache) == 2
    view.lookup(np.array([0]))  # evicted: drawn again
    assert view.renders == 4


def test_a_join_gives_a_multi_view_batch_that_lightning_can_move(corpus) -> None:  # type: ignore[no-untyped-def]
    join = ViewJoin({"fingerprint": fingerprint_view(corpus, ECFPFeaturizer(2, 64))})
    stream = ShardStream(corpus, batch_size=4, seed=0, views=join)
    batch = next(iter(stream))
    assert isinstance(batch, MultiViewBatch) and batch_size(batch) == 4
    assert batch.views["fingerprint"].shape == (4, 64) and batch.present["fingerprint"].all()
    moved = move_data_to_device(batch, torch.device("cpu"))
    assert isinstance(moved, MultiViewBatch) and torch.equal(moved.graph.ids, batch.graph.ids)


def test_the_reaction_stream_carries_classes_and_yields_where_known() -> None:
    corpus = reaction_corpus(["uspto_50k", "buchwald_hartwig"], limit=10)
    assert len(corpus) == 20 and not corpus.skipped
    batch = corpus.collate([0, 15])
    assert batch.num_graphs == 2 and batch.ids.tolist() == [0, 15]
    assert batch.label[0] >= 0 and batch.label[1] == -1
    assert torch.isnan(batch.yield_frac[0]) and 0.0 <= float(batch.yield_frac[1]) <= 1.0
    # the yield reference is the whole set's mean; products are grouped by their text
    assert torch.isnan(batch.set_mean_yield[0])
    assert float(batch.set_mean_yield[1]) == pytest.approx(0.3309, abs=1e-4)
    products = [r.split(">")[2] for r in load_reactions("buchwald_hartwig").rxn[:10]]
    groups = corpus.product_group[10:]
    for i in range(10):
        for j in range(10):
            assert (groups[i] == groups[j]) == (products[i] == products[j])
    assert len(set(corpus.product_group[:10])) == 10  # USPTO: ten different products
    part = corpus.subset([15, 0])
    assert part.row.tolist() == [5, 0] and part.collate([0]).yield_frac.tolist() == [
        pytest.approx(float(batch.yield_frac[1]))
    ]


def test_reaction_molecules_are_distinct_canonical_components() -> None:
    molecules = reaction_molecules(["buchwald_hartwig"])
    assert len(molecules) == len(set(molecules)) == 51  # as the featurizer's docstring counts
    assert all(Chem.MolToSmiles(Chem.MolFromSmiles(s)) == s for s in molecules)


def test_reaction_batches_have_the_same_order_for_a_seed_and_epoch() -> None:
    from molbridge.data.reaction_stream import ReactionData

    corpus = reaction_corpus(["buchwald_hartwig"], limit=40)

    def order(seed: int, epoch: int) -> list[int]:
        loader = ReactionData(corpus, 8, seed).train_dataloader()
        loader.sampler.set_epoch(epoch)  # type: ignore[attr-defined]
        return [i for b in loader for i in b.ids.tolist()]

    assert order(0, 1) == order(0, 1) and order(0, 1) != order(0, 2)
    assert sorted(order(0, 0)) == list(range(40))


def test_a_featurized_view_marks_molecules_without_the_modality_absent(corpus) -> None:  # type: ignore[no-untyped-def]
    from molbridge.data.corpus_views import featurized_view

    # like a spectrum: only some molecules have one (here: those with an oxygen)
    def oxygen_count(mol: Chem.Mol) -> np.ndarray | None:
        n = sum(a.GetSymbol() == "O" for a in mol.GetAtoms())
        return np.array([n, mol.GetNumAtoms()], np.float32) if n else None

    view = featurized_view(corpus, "oxygens", oxygen_count, {"v": 1}, (2,), np.float32)
    values, present = view.lookup(np.array([0, 1, 3, 5]))  # CCO, invalid, CCN, CC(=O)O
    assert present.tolist() == [True, False, False, True]
    assert values[0].tolist() == [1.0, 3.0] and values[3].tolist() == [2.0, 4.0]


def test_streams_release_each_shards_window_of_the_views(corpus) -> None:  # type: ignore[no-untyped-def]
    # the views are unmapped after each shard, so mapped pages never pile up over an epoch
    view = fingerprint_view(corpus, ECFPFeaturizer(2, 64))
    before = view.lookup(np.arange(len(view)))
    released = []
    original = view.release

    def counting() -> None:
        released.append(1)
        original()

    view.release = counting  # type: ignore[method-assign]
    stream = ShardStream(corpus, batch_size=3, seed=0, views=ViewJoin({"fingerprint": view}))
    list(stream)
    assert len(released) >= len(corpus.counts)
    after = view.lookup(np.arange(len(view)))
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])
