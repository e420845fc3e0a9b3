import numpy as np

from molbridge.chem import parse_smiles
from molbridge.data.packed import PackedGraphs
from molbridge.featurize import GraphFeaturizer

F = GraphFeaturizer()
SMILES = ["CCO", "[Na+]", "c1ccccc1", "CC(=O)O", "N"]


def _packed() -> tuple[PackedGraphs, list]:
    graphs = [F(parse_smiles(s)) for s in SMILES]
    return PackedGraphs.from_graphs(graphs, 9, 3), graphs


def test_collate_matches_graph_by_graph_concatenation() -> None:
    packed, graphs = _packed()
    order = [3, 0, 1, 4, 2]
    y = np.arange(5, dtype=np.float32)[:, None]
    batch = packed.collate(order, y)
    assert batch.num_graphs == 5
    offset, xs, edges, attrs = 0, [], [], []
    for i in order:
        xs.append(graphs[i].x)
        edges.append(graphs[i].edge_index + offset)
        attrs.append(graphs[i].edge_attr)
        offset += len(graphs[i].x)
    assert np.array_equal(batch.x.numpy(), np.concatenate(xs))
    assert np.array_equal(batch.edge_index.numpy(), np.concatenate(edges, axis=1))
    assert np.array_equal(batch.edge_attr.numpy(), np.concatenate(attrs))
    sizes = [len(graphs[i].x) for i in order]
    assert np.array_equal(batch.batch.numpy(), np.repeat(np.arange(5), sizes))
    assert batch.y is not None and batch.y[:, 0].tolist() == order


def test_subset_and_graph_round_trip(tmp_path) -> None:
    packed, graphs = _packed()
    sub = packed.subset([2, 0])
    assert len(sub) == 2
    for got, want in zip((sub.graph(0), sub.graph(1)), (graphs[2], graphs[0]), strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    packed.save(tmp_path)
    loaded = PackedGraphs.load(tmp_path, mmap=True)
    assert np.array_equal(loaded.collate([1, 2]).x.numpy(), packed.collate([1, 2]).x.numpy())


def test_empty_store() -> None:
    empty = PackedGraphs.from_graphs([], 9, 3)
    assert len(empty) == 0
    assert empty.collate([]).num_graphs == 0
