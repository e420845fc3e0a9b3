import numpy as np
import pytest

from molbridge.data import registry
from molbridge.data.reactions import load_reactions, pack_reactions, yield_bert_split
from molbridge.data.registry import DataIntegrityError
from molbridge.featurize.reaction import ReactionFeaturizer


@pytest.mark.parametrize(
    ("name", "rows"), [("buchwald_hartwig", 3955), ("suzuki_miyaura", 5760), ("uspto_50k", 50016)]
)
def test_row_counts_and_columns(name: str, rows: int) -> None:
    table = load_reactions(name)
    assert len(table) == len(table.rxn) == rows
    assert all(r.count(">") == 2 for r in table.rxn[:100])
    if name == "uspto_50k":
        assert table.yield_frac is None
        assert table.label is not None and set(np.unique(table.label)) == set(range(10))
        assert table.split is not None
        assert (table.split == "train").sum() == 45014 and (table.split == "test").sum() == 5002
    else:
        assert table.yield_frac is not None and table.yield_frac.shape == (rows,)
        assert table.yield_frac.min() >= 0.0 and table.yield_frac.max() <= 1.0
        assert table.label is None and table.split is None


def test_buchwald_hartwig_percent_becomes_a_fraction() -> None:
    table = load_reactions("buchwald_hartwig")
    assert table.yield_frac is not None
    # first row of sheet FullCV_01: 70.41045785 % (SOURCES.md, head of the file)
    assert table.yield_frac[0] == pytest.approx(0.7041045785)
    assert table.yield_frac.max() > 0.99  # percent, not already a fraction


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="buchwald_hartwig, suzuki_miyaura, uspto_50k"):
        load_reactions("uspto_full")
    with pytest.raises(KeyError, match="no Yield-BERT splits"):
        yield_bert_split("uspto_50k", 0)
    with pytest.raises(KeyError, match="FullCV_10"):
        yield_bert_split("buchwald_hartwig", 11)
    with pytest.raises(KeyError, match="random_split_9"):
        yield_bert_split("suzuki_miyaura", 10)


@pytest.mark.parametrize(
    ("index", "n_train"), [(1, 2767), (10, 2767), ("Test1", 3057), ("Test3", 3058)]
)
def test_buchwald_hartwig_yield_bert_split(index: int | str, n_train: int) -> None:
    train, test = yield_bert_split("buchwald_hartwig", index)
    assert len(train) == n_train and len(test) == 3955 - n_train
    assert len(np.union1d(train, test)) == 3955  # a partition of all rows
    if index == 1:
        # FullCV_01 is the file's own order (rxn_id = its row index)
        assert train.tolist() == list(range(2767))


@pytest.mark.parametrize("index", [0, 9])
def test_suzuki_yield_bert_split(index: int) -> None:
    train, test = yield_bert_split("suzuki_miyaura", index)
    assert len(train) == 4032 and len(test) == 1728
    assert len(np.union1d(train, test)) == 5760
    same = yield_bert_split("suzuki_miyaura", f"random_split_{index}")
    assert np.array_equal(same[0], train)
    other, _ = yield_bert_split("suzuki_miyaura", (index + 1) % 10)
    assert not np.array_equal(np.sort(other), np.sort(train))


def test_changed_file_is_refused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    relpath = "reactions/suzuki_miyaura/suzuki_miyaura.csv.gz"
    (tmp_path / "reactions/suzuki_miyaura").mkdir(parents=True)
    (tmp_path / relpath).write_bytes(b"rxn_id,rxn,yield_frac\n0,CC>>CC,0.5\n")
    (tmp_path / "SHA256SUMS").write_text((registry.BUNDLED_DIR / "SHA256SUMS").read_text())
    monkeypatch.setattr(registry, "BUNDLED_DIR", tmp_path)
    registry._recorded_sums.cache_clear()
    try:
        with pytest.raises(DataIntegrityError, match="changed"):
            load_reactions("suzuki_miyaura")
    finally:
        registry._recorded_sums.cache_clear()


def test_packed_reactions_store_each_component_once_and_batch_by_side() -> None:
    featurizer = ReactionFeaturizer()
    rxns = ["CC(=O)O.OCC>>CC(=O)OCC.O", "CCN.O=CC>>CCN=CC.O", "C=C>>CC"]
    packed = pack_reactions(featurizer.many(rxns), featurizer)
    assert len(packed) == 3
    assert len(packed.smiles) == 9  # water is shared by two reactions
    batch = packed.collate([2, 0], y=np.array([[0.1], [0.2], [0.3]]))
    assert batch.size == batch.num_graphs == 2
    # distinct molecules of reactions 2 and 0: ethene, ethane, acetic acid, ethanol, ester, water
    assert batch.molecules.num_graphs == 6
    assert sorted(batch.sides.tolist()) == [0, 1, 1, 2, 3, 3]
    smiles = [packed.smiles[i] for i in np.unique(np.r_[packed.reactant_ids, packed.product_ids])]
    assert set(smiles) >= {"C=C", "CC", "O"}
    assert batch.y is not None and batch.y[:, 0].tolist() == pytest.approx([0.3, 0.1])
    part = packed.subset([1])
    assert len(part) == 1 and part.collate([0]).molecules.num_graphs == 4


def test_kept_apart_agents_are_on_neither_side() -> None:
    featurizer = ReactionFeaturizer(agents_with_reactants=False)
    graphs = featurizer.many(["CCO>[Pd]>CC=O", "C=C>>CC"])
    assert graphs[0].agents == ("[Pd]",) and graphs[0].reactants == ("CCO",)
    packed = pack_reactions(graphs, featurizer)
    assert "[Pd]" not in set(packed.smiles)
    merged = ReactionFeaturizer().many(["CCO>[Pd]>CC=O"])[0]
    assert merged.reactants == ("CCO", "[Pd]") and merged.agents == ()
