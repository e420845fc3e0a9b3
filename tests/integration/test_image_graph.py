"""Strategy 3 end to end on tiny data: both encoders train on the corpus with its depictions
drawn once, the run resumes, the bundle carries the image encoder (embed --modality image) and
the two heads (retrieval), the graph encoder fine-tunes with --init, and two-process DDP runs."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from rdkit import Chem
from typer.testing import CliRunner

from molbridge.benchmarks.retrieval import RetrievalOptions, run_retrieval
from molbridge.cli.main import app
from molbridge.data.corpus_views import stored_image_view
from molbridge.featurize import ImageFeaturizer
from molbridge.io import CheckpointError, load_bundle
from molbridge.pipeline.modality_views import load_modality
from molbridge.pipeline.pretrain import pretrain
from tests.helpers import (
    TINY_STREAM,
    fine_tune_tiny,
    run_ddp_pretrain,
    tiny_corpus,
    tiny_pretrain_config,
)

DATA = Path(__file__).parents[1] / "data"
OPTIONS = {
    "image": {"size": 32, "canonical": True},
    "image_encoder": {"widths": [8, 16], "blocks": [1, 1]},
    "contrast": {"projection_dim": 16, "min_rows": 4},
}


def _config(out: Path, **overrides: object):  # type: ignore[no-untyped-def]
    settings: dict[str, object] = {"num_layers": 2, "options": OPTIONS, "checkpoint_every": 4}
    settings.update(overrides)
    return tiny_pretrain_config(out, "image-graph", **settings)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch, then a second one resumed from the first one's checkpoints."""
    out = tmp_path_factory.mktemp("ig") / "run"
    first = pretrain(_config(out, epochs=1))
    second = pretrain(_config(out, epochs=2, resume=True))
    assert second.summary["resumed_from"] is not None
    assert second.summary["steps"] == 2 * first.summary["steps"]
    assert {"cross", "graph", "image"} <= set(second.history[-1])
    return out / "encoder.ckpt"


def test_depictions_drawn_by_two_processes_are_the_ones_drawn_by_one(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path)
    featurizer = ImageFeaturizer(size=32, canonical=True)
    one = stored_image_view(corpus, featurizer)
    ids = np.arange(corpus.n_inputs)
    images, present = one.lookup(ids)
    shutil.rmtree(one.root)
    # chunks of 10,000 would give the second worker nothing to draw
    two = stored_image_view(corpus, featurizer, workers=2, chunk_size=15)
    assert two.root == one.root  # the same view, whoever drew it
    images_two, present_two = two.lookup(ids)
    assert present.sum() > 0 and torch.equal(present, present_two)
    assert torch.equal(images, images_two)


def test_each_image_is_the_depiction_of_its_corpus_molecule(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path)
    featurizer = ImageFeaturizer(size=32, canonical=True)
    view = stored_image_view(corpus, featurizer)
    assert stored_image_view(corpus, featurizer).root == view.root  # drawn once, then read
    smiles = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"].tolist()
    ids = np.arange(0, len(smiles), 7)
    images, present = view.lookup(ids)
    for i, image, ok in zip(ids, images.numpy(), present.numpy(), strict=True):
        mol = Chem.MolFromSmiles(smiles[i])
        assert ok == (mol is not None)
        if mol is not None:
            # the drawing of this row's molecule, and of its canonical SMILES: the view
            # follows the ids, and one molecule has one picture however it is written
            canonical = Chem.MolFromSmiles(Chem.MolToSmiles(mol))
            assert np.array_equal(image, featurizer(canonical))
            assert np.array_equal(image, ImageFeaturizer(size=32)(canonical))


def test_the_bundle_carries_the_image_encoder_and_both_heads(trained: Path) -> None:
    bundle = load_bundle(trained)
    assert bundle.extra["strategy"]["name"] == "image-graph"
    assert set(bundle.parts) == {"image", "image_graph", "image_modality"}
    featurizer = ImageFeaturizer(size=32, canonical=True)
    assert bundle.extra["part_featurizers"]["image"] == featurizer.to_config()
    loaded, encoder = load_modality(trained, "image")
    assert loaded == featurizer and encoder.out_dim == 16
    with pytest.raises(CheckpointError, match="carries no smiles encoder"):
        load_modality(trained, "smiles")


def test_embed_with_the_image_encoder_keeps_every_row(trained: Path, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO", "not a molecule", "c1ccccc1O"]}).to_csv(data, index=False)
    out = tmp_path / "emb.npy"
    args = ["embed", "--model", str(trained), "--data", str(data), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--modality", "image"])
    assert result.exit_code == 0, result.output
    embeddings = np.load(out)
    assert embeddings.shape == (3, 16)
    assert np.isnan(embeddings[1]).all() and np.isfinite(embeddings[[0, 2]]).all()
    assert pd.read_csv(out.with_suffix(".errors.csv"))["error"].notna().tolist() == [
        False,
        True,
        False,
    ]
    refused = CliRunner().invoke(
        app, [*args[:-1], str(tmp_path / "other.npy"), "--modality", "smiles"]
    )
    assert refused.exit_code != 0
    assert "carries no smiles encoder" in " ".join(refused.output.split())


def test_retrieval_beside_the_untrained_pair_and_fine_tuning(trained: Path, tmp_path: Path) -> None:
    options = RetrievalOptions(out=str(tmp_path / "retrieval"), init={"ig": str(trained)}, n=160)
    rows = run_retrieval(options)["rows"]
    assert [(r["modality"], r["model"]) for r in rows] == [
        ("image", "ig"),
        ("image", "untrained"),
    ]
    for row in rows:
        values = [row[f"all_forward_top{k}"] for k in (1, 5, 10)]
        assert 0.0 <= values[0] <= values[1] <= values[2] <= 1.0
    fine = fine_tune_tiny(trained, tmp_path / "ft", num_layers=2)
    assert 0.0 <= fine.test["roc_auc"] <= 1.0


def test_two_process_ddp(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    settings = {"strategy": "image-graph", "options": OPTIONS, "num_layers": 2, "hidden_dim": 32}
    config.write_text(yaml.safe_dump(settings))
    run_ddp_pretrain(
        tmp_path / "ddp",
        "--config",
        config,
        "--corpus",
        DATA / "bbbp_tiny.csv",
        *TINY_STREAM,
    )
    assert set(load_bundle(tmp_path / "ddp" / "encoder.ckpt").parts) == {
        "image",
        "image_graph",
        "image_modality",
    }
