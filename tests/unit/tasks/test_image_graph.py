"""Strategy 3's task: its terms, their shapes and symmetry, both encoders learning, and
molecules without a depiction left out of the image terms."""

import numpy as np
import pytest
import torch

from molbridge.data.batch import MultiViewBatch
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.image import ImageFeaturizer
from molbridge.nn.losses import info_nce
from molbridge.tasks.pretrain.image_graph import (
    IMAGE_VIEW,
    ImageGraphConfig,
    ImageGraphPretraining,
)

SMILES = [
    "CCO",
    "c1ccccc1",
    "CC(=O)Nc1ccc(O)cc1",
    "CCN(CC)CC",
    "O=C=O",
    "C1CCCCC1",
    "CC(C)(C)O",
    "c1ccncc1",
    "CC(=O)O",
    "CCCCCC",
]


@pytest.fixture(scope="module")
def batch() -> MultiViewBatch:
    featurizer = GraphFeaturizer()
    graphs = featurize_smiles(SMILES, featurizer, scaffolds=False, progress=False).graphs
    g = graphs.collate(np.arange(len(SMILES)))
    images = torch.from_numpy(ImageFeaturizer(size=32).many(SMILES))
    present = torch.ones(len(SMILES), dtype=torch.bool)
    return MultiViewBatch(g, {IMAGE_VIEW: images}, {IMAGE_VIEW: present})


def _task(**config: object) -> ImageGraphPretraining:
    torch.manual_seed(0)
    featurizer = GraphFeaturizer()
    graph = GraphEncoder(GraphEncoderConfig(featurizer.atom_dims, featurizer.bond_dims, 2, 16))
    image = ImageEncoder(ImageEncoderConfig(widths=(8, 16), blocks=(1, 1)))
    settings: dict[str, object] = {"projection_dim": 8, "min_rows": 4, **config}
    return ImageGraphPretraining(graph, image, ImageGraphConfig(**settings))  # type: ignore[arg-type]


def test_all_three_terms_and_both_encoders_learn(batch: MultiViewBatch) -> None:
    task = _task()
    loss, logs = task.loss(batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert {"cross", "graph", "image", "graph_accuracy", "image_accuracy"} <= set(logs)
    assert logs["image_rows"] == len(SMILES)
    expected = logs["cross"] + logs["graph"] + logs["image"]
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-4)
    loss.backward()
    for module in (task.encoder, task.image_encoder, task.graph_projection, task.image_projection):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), type(module).__name__


def test_contrastive_only_has_one_term_and_no_intra_heads(batch: MultiViewBatch) -> None:
    task = _task(graph_weight=0.0, image_weight=0.0)
    assert task.graph_head is None and task.image_head is None
    loss, logs = task.loss(batch)
    assert set(logs) == {"cross", "image_rows"}
    assert float(loss) == pytest.approx(logs["cross"], rel=1e-5)
    weighted = _task(cross_weight=2.0, graph_weight=0.0, image_weight=0.0)
    assert float(weighted.loss(batch)[0]) == pytest.approx(2 * logs["cross"], rel=1e-4)


def test_the_cross_modal_term_is_symmetric_and_prefers_matches() -> None:
    torch.manual_seed(0)
    graph, image = torch.randn(6, 8), torch.randn(6, 8)
    assert info_nce(graph, image, 0.1) == pytest.approx(float(info_nce(image, graph, 0.1)))
    assert float(info_nce(graph, graph, 0.1)) < float(info_nce(graph, image, 0.1))


def test_molecules_without_a_depiction_stay_out_of_the_image_terms(
    batch: MultiViewBatch,
) -> None:
    present = torch.ones(len(SMILES), dtype=torch.bool)
    present[:3] = False
    images = batch.views[IMAGE_VIEW].clone()
    images[:3] = 0
    partial = MultiViewBatch(batch.graph, {IMAGE_VIEW: images}, {IMAGE_VIEW: present})
    _, logs = _task().loss(partial)
    assert logs["image_rows"] == len(SMILES) - 3 and "cross" in logs
    # too few depictions: only the graph term
    present[:] = False
    present[:2] = True
    _, logs = _task().loss(MultiViewBatch(batch.graph, {IMAGE_VIEW: images}, {IMAGE_VIEW: present}))
    assert "cross" not in logs and "image" not in logs and "graph" in logs


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="cross_weight"):
        ImageGraphConfig(cross_weight=0.0)
    with pytest.raises(ValueError, match="graph_weight"):
        ImageGraphConfig(graph_weight=-1.0)
    with pytest.raises(ValueError, match="mask_rate"):
        ImageGraphConfig(mask_rate=1.0)
    config = ImageGraphConfig().to_config()
    assert config["name"] == "image-graph" and config["augment"]["zoom_scale"] == 0.8
