"""Strategy 2 end to end on tiny data: frozen modality encoders (made by pretrain-modality)
embed the corpus once, the graph encoder learns against them, the frozen bundles are untouched,
the encoder fine-tunes with --init, and two-process DDP runs with a sparse modality."""

import hashlib
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from molbridge.benchmarks import aligned
from molbridge.benchmarks.aligned import apply, atom_attributions, frozen_encoder
from molbridge.benchmarks.isomers import IsomerOptions, run_isomers
from molbridge.benchmarks.retrieval import RetrievalOptions, run_retrieval
from molbridge.chem.draw import atom_weight_image
from molbridge.data.corpus import build_corpus
from molbridge.data.spectra import spectrum_smiles
from molbridge.featurize import GraphFeaturizer
from molbridge.io import CheckpointError, load_bundle
from molbridge.pipeline import acml
from molbridge.pipeline.modality import ModalityConfig, load_modality_encoder, pretrain_modality
from molbridge.pipeline.modality_views import frozen_modality_view
from molbridge.pipeline.pretrain import pretrain
from tests.helpers import TINY_STREAM, fine_tune_tiny, run_ddp_pretrain, tiny_pretrain_config

DATA = Path(__file__).parents[1] / "data"
MODALITIES = ("smiles", "image", "fingerprint", "spectrum")
N_SPECTRA = 40


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny frozen encoder of each modality, one epoch on 12 inputs."""
    root = tmp_path_factory.mktemp("modality")
    paths = {}
    for modality in MODALITIES:
        config = ModalityConfig(
            modality=modality,
            out=str(root / modality),
            corpus=str(DATA / "bbbp_tiny.csv"),
            max_molecules=12,
            image_size=48,
            epochs=1,
            batch_size=4,
            progress=False,
        )
        paths[modality] = pretrain_modality(config).encoder_path
    return paths


@pytest.fixture(scope="module")
def corpus_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 molecules with a 13C spectrum of the training part, 2 of the held-out part, then 108
    of the BBBP sample."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    bbbp = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"].tolist()
    spectra = spectrum_smiles("13C")[:N_SPECTRA] + spectrum_smiles("13C", "held-out")[:2]
    pd.DataFrame({"smiles": spectra + bbbp[:108]}).to_csv(path, index=False)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_modality_view_is_its_frozen_encoder_s_embedding(
    encoders: dict[str, Path], corpus_csv: Path, tmp_path: Path
) -> None:
    corpus = build_corpus(
        corpus_csv, GraphFeaturizer(), tmp_path / "cache", shard_size=40, progress=False
    )
    smiles = pd.read_csv(corpus_csv)["smiles"].tolist()
    for modality in ("fingerprint", "spectrum"):
        made = frozen_modality_view(corpus, encoders[modality], name=f"test-{modality}")
        assert made.kind == modality
        if modality == "spectrum":  # the spectra's molecules only, found by structure
            # a held-out molecule's spectrum is never used (and a BBBP molecule may have one)
            present = made.view.present
            assert present[:N_SPECTRA].all() and not present[N_SPECTRA : N_SPECTRA + 2].any()
            assert N_SPECTRA <= made.present <= N_SPECTRA + 2
            assert made.absent == len(corpus) - made.present
            continue
        featurizer, encoder = load_modality_encoder(encoders[modality])
        encoder.eval()
        with torch.no_grad():
            direct = encoder(torch.from_numpy(featurizer.many(smiles[:5])))  # type: ignore[attr-defined]
        stored, present = made.view.lookup(np.arange(5))
        assert present.all()
        torch.testing.assert_close(stored.float(), direct, atol=2e-3, rtol=2e-3)  # float16 kept


EXTRA = ["CCOC(=O)C", "c1ccncc1O", "CC(C)(C)O"]


@pytest.fixture(scope="module")
def trained(
    encoders: dict[str, Path], corpus_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str], object]:
    """One ACML run on all four modalities: (its folder, the frozen bundles' digests before it,
    its result)."""
    root = tmp_path_factory.mktemp("acml")
    before = {m: _digest(p) for m, p in encoders.items()}
    config = tiny_pretrain_config(
        root / "run",
        "acml",
        corpus=str(corpus_csv),
        num_layers=2,
        options={"modalities": list(MODALITIES), "contrast": {"min_rows": 2}},
        inputs={m: str(p) for m, p in encoders.items()},
        cache_dir=str(root / "cache"),
    )
    # the spectra's molecules appended to the corpus: here 3 new ones and 2 already in it
    # (all 8,000 would make a slow test)
    known = pd.read_csv(corpus_csv)["smiles"].tolist()[:2]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(acml, "spectrum_smiles", lambda nucleus: known + EXTRA)
        result = pretrain(config)
    return root / "run", before, result


def test_acml_trains_leaves_the_frozen_encoders_untouched_and_fine_tunes(
    encoders: dict[str, Path], trained: tuple[Path, dict[str, str], object], tmp_path: Path
) -> None:
    out, before, result = trained
    assert {m: _digest(p) for m, p in encoders.items()} == before
    # every modality entered the loss (the spectra are the first 40 molecules, in one shard)
    logged = {k for row in result.history for k in row}  # type: ignore[attr-defined]
    assert set(MODALITIES) <= logged
    assert result.summary["corpus_molecules"] == 150 + len(EXTRA)  # type: ignore[attr-defined]
    bundle = load_bundle(out / "encoder.ckpt")
    assert bundle.extra["strategy"]["name"] == "acml"
    assert {f"{m}_{side}" for m in MODALITIES for side in ("graph", "modality")} == set(
        bundle.parts
    )
    assert not any(k.startswith("frozen") for k in bundle.members[0])
    # the bundle names the frozen encoders it was trained against, with their digests
    assert set(bundle.extra["inputs"]) == set(MODALITIES)
    assert bundle.extra["inputs"]["spectrum"]["kind"] == "spectrum"
    fine = fine_tune_tiny(out / "encoder.ckpt", tmp_path / "ft", num_layers=2)
    assert 0.0 <= fine.test["roc_auc"] <= 1.0


def test_retrieval_scores_each_modality_beside_the_untrained_encoder(
    encoders: dict[str, Path], trained: tuple[Path, dict[str, str], object], tmp_path: Path
) -> None:
    out, _, _ = trained
    options = RetrievalOptions(
        out=str(tmp_path / "retrieval"),
        init={"acml": str(out / "encoder.ckpt")},
        modalities=["fingerprint", "spectrum"],
        n=160,
    )
    rows = run_retrieval(options)["rows"]
    assert [(r["modality"], r["model"]) for r in rows] == [
        ("fingerprint", "acml"),
        ("fingerprint", "untrained"),
        ("spectrum", "acml"),
        ("spectrum", "untrained"),
    ]
    for row in rows:
        for scope in ("block", "all"):
            for way in ("forward", "backward"):
                values = [row[f"{scope}_{way}_top{k}"] for k in (1, 5, 10)]
                assert 0.0 <= values[0] <= values[1] <= values[2] <= 1.0
    assert rows[0]["n"] == 160 and rows[2]["n"] > 500  # the held-out tenth of the spectra
    assert (
        "| fingerprint | chance | 160 | 0.008 |"
        in (tmp_path / "retrieval" / "results.md").read_text()
    )
    # another encoder than the one it was trained against is refused
    wrong = RetrievalOptions(
        out=str(tmp_path / "wrong"),
        init={"acml": str(out / "encoder.ckpt")},
        modalities=["fingerprint"],
        encoders={"fingerprint": str(encoders["smiles"])},
        n=160,
    )
    with pytest.raises(CheckpointError, match="weights differ"):
        run_retrieval(wrong)


def test_isomer_discrimination_scores_each_modality_beside_chance(
    trained: tuple[Path, dict[str, str], object], tmp_path: Path
) -> None:
    out, _, _ = trained
    options = IsomerOptions(
        str(tmp_path / "isomers"), {"acml": str(out / "encoder.ckpt")}, ["spectrum", "smiles"]
    )
    summary = run_isomers(options, pool_limit=3000)
    assert summary["queries"] > 50 and summary["queries"] + summary["no_isomer"] > 500
    assert 0.02 <= summary["chance"] < 0.5
    assert [(r["modality"], r["model"]) for r in summary["rows"]] == [
        ("spectrum", "acml"),
        ("spectrum", "untrained"),
        ("smiles", "acml"),
        ("smiles", "untrained"),
    ]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in summary["rows"])


def test_atom_attributions_give_one_weight_per_atom_and_draw(
    encoders: dict[str, Path], trained: tuple[Path, dict[str, str], object]
) -> None:
    out, _, _ = trained
    path = out / "encoder.ckpt"
    featurizer, frozen = frozen_encoder(path, "fingerprint")
    smiles = ["CC(=O)Nc1ccc(O)cc1", "c1ccccc1CCN"]
    rows = apply(frozen, torch.from_numpy(featurizer.many(smiles)))
    weights = atom_attributions(path, "fingerprint", smiles, rows)
    assert [len(w) for w in weights] == [11, 9]
    assert all(np.isfinite(w).all() and np.abs(w).sum() > 0 for w in weights)
    assert atom_weight_image(smiles[0], weights[0], 120).size == (120, 120)
    with pytest.raises(ValueError, match="10 weights for 11 atoms"):
        atom_weight_image(smiles[0], weights[0][:10])


def test_a_missing_encoder_and_a_wrong_one_are_refused_before_any_work(
    encoders: dict[str, Path], tmp_path: Path
) -> None:
    config = tiny_pretrain_config(tmp_path / "a", "acml", options={"modalities": ["descriptors"]})
    with pytest.raises(ValueError, match="--input descriptors=PATH"):
        pretrain(config)
    config = tiny_pretrain_config(
        tmp_path / "b",
        "acml",
        options={"modalities": ["spectrum"]},
        inputs={"spectrum": str(encoders["smiles"])},
    )
    with pytest.raises(ValueError, match="is a smiles encoder, not a spectrum one"):
        pretrain(config)
    with pytest.raises(ValueError, match="modalities must be some of"):
        pretrain(tiny_pretrain_config(tmp_path / "c", "acml", options={"modalities": ["nmr"]}))


def test_a_moved_frozen_encoder_is_found_where_the_source_ships_it(
    encoders: dict[str, Path], trained: tuple[Path, dict[str, str], object], tmp_path: Path
) -> None:
    # the bundle records where the frozen encoder was; a clean checkout has it in models/
    out, _, _ = trained
    moved = tmp_path / "elsewhere" / "acml.ckpt"
    moved.parent.mkdir()
    shutil.copy(out / "encoder.ckpt", moved)
    shipped = tmp_path / "models"
    (shipped / "fingerprint-encoder").mkdir(parents=True)
    (shipped / "smiles-encoder").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(acml, "SHIPPED", shipped)
        patch.setattr(aligned, "acml_inputs", _recorded_elsewhere(aligned.acml_inputs))
        with pytest.raises(CheckpointError, match="is not here"):
            frozen_encoder(moved, "fingerprint")
        shutil.copy(encoders["fingerprint"], shipped / "fingerprint-encoder" / "encoder.ckpt")
        _, found = frozen_encoder(moved, "fingerprint")
        assert found.out_dim > 0
        # a shipped file with other weights is refused, as a recorded one would be
        shutil.copy(encoders["fingerprint"], shipped / "smiles-encoder" / "encoder.ckpt")
        with pytest.raises(CheckpointError):
            frozen_encoder(moved, "smiles")


def _recorded_elsewhere(read: Any) -> Any:
    """`acml_inputs` with every recorded path pointing at a folder that does not exist."""

    def inputs(path: Path | str) -> dict[str, dict[str, Any]]:
        return {m: {**r, "path": f"/nowhere/{m}/encoder.ckpt"} for m, r in read(path).items()}

    return inputs


def test_two_process_ddp_with_a_sparse_modality(
    encoders: dict[str, Path], corpus_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ddp"
    run_ddp_pretrain(
        out,
        "--strategy",
        "acml",
        "--corpus",
        str(corpus_csv),
        *TINY_STREAM,
        "--modalities",
        "fingerprint",
        "--modalities",
        "spectrum",
        "--input",
        f"fingerprint={encoders['fingerprint']}",
        "--input",
        f"spectrum={encoders['spectrum']}",
    )
