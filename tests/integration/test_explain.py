"""`molbridge explain`: one attribution per atom that adds up to the model's output (integrated
gradients' completeness), for classification and regression heads, drawn in one grid; bad
input is refused naming what is wrong."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem
from typer.testing import CliRunner

from molbridge.cli.main import app
from molbridge.data.table import featurize_smiles
from molbridge.io import load_bundle
from molbridge.pipeline.explain import explain_smiles
from molbridge.pipeline.models import build_property_models
from molbridge.pipeline.train import TrainConfig, train

DATA = Path(__file__).parents[1] / "data"
MOLECULES = ["CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1", "OC(=O)c1ccccc1OC(C)=O"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("explain")
    small = {"epochs": 2, "num_layers": 2, "hidden_dim": 32, "progress": False}
    classifier = train(
        TrainConfig(
            data=str(DATA / "bbbp_tiny.csv"),
            target_columns=["p_np"],
            out=str(root / "bbbp"),
            ensemble=2,
            **small,  # type: ignore[arg-type]
        )
    )
    regressor = train(
        TrainConfig(
            data=str(DATA / "esol_tiny.csv"),
            target_columns=["solubility"],
            out=str(root / "esol"),
            **small,  # type: ignore[arg-type]
        )
    )
    return {"classification": classifier.model_path, "regression": regressor.model_path}


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_the_attributions_add_up_to_the_output(models: dict[str, Path], kind: str) -> None:
    explanations = explain_smiles(models[kind], MOLECULES)
    featurizer, members = build_property_models(load_bundle(models[kind]))
    graphs = featurize_smiles(list[object](MOLECULES), featurizer, scaffolds=False).graphs
    for i, e in enumerate(explanations):
        b = graphs.collate(np.array([i]))
        assert e.atoms.shape == (b.x.shape[0],) and np.isfinite(e.atoms).all()
        # completeness, computed here from the model itself: output minus the output of a
        # molecule whose atom embeddings are all zero, averaged over the members
        gaps = []
        for m in members:
            m.eval()
            encoder = m.encoder
            with torch.no_grad():
                atoms = encoder.atom_embedding(b.x)
                outputs = [
                    m.head(
                        encoder.readout(encoder.propagate(a, b.edge_index, b.edge_attr), b.batch, 1)
                    )
                    for a in (atoms, torch.zeros_like(atoms))
                ]
            gaps.append(float(outputs[0][0, 0] - outputs[1][0, 0]))
        assert abs(e.atoms.sum() - np.mean(gaps)) < 1e-2 * max(1.0, abs(np.mean(gaps)))
        assert e.delta < 1e-2


def test_explain_draws_a_grid_and_refuses_bad_input(
    models: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "fig.png"
    args = ["explain", "--model", str(models["classification"]), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--smiles", " ".join(MOLECULES), "--columns", "2"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    table = pd.read_csv(out.with_suffix(".csv"))
    assert table["smiles"].tolist() == MOLECULES
    assert [len(a.split()) for a in table["atom_attributions"]] == [11, 12, 13]
    bad = CliRunner().invoke(app, [*args, "--smiles", "CCO not_a_molecule"])
    assert bad.exit_code != 0 and "molecule 2" in bad.output
    unknown = CliRunner().invoke(app, [*args, "--smiles", "CCO", "--target", "logP"])
    assert unknown.exit_code != 0 and "not 'logP'" in " ".join(unknown.output.split())


@pytest.fixture(scope="module")
def nitrogen_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A boosted model of each molecule's nitrogen count: its drawn attributions must sit on
    the nitrogens."""
    root = tmp_path_factory.mktemp("explain-gbm")
    smiles = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"]
    mols = [(s, Chem.MolFromSmiles(s)) for s in smiles]
    table = pd.DataFrame(
        [(s, sum(a.GetSymbol() == "N" for a in m.GetAtoms())) for s, m in mols if m is not None],
        columns=["smiles", "nitrogens"],
    )
    table.to_csv(root / "nitrogens.csv", index=False)
    result = train(
        TrainConfig(
            data=str(root / "nitrogens.csv"),
            target_columns=["nitrogens"],
            out=str(root / "run"),
            model="gbm",
            gbm_iterations=200,
            gbm_loss="MAE",  # fixed: the attributions are the question here, not the loss choice
            progress=False,
        )
    )
    return result.model_path


def test_a_boosted_models_ecfp_shap_values_land_on_the_right_atoms(nitrogen_model: Path) -> None:
    smiles = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"].tolist()[:40]
    smiles = [s for s in smiles if Chem.MolFromSmiles(s) is not None]
    explanations = explain_smiles(nitrogen_model, smiles)
    on_nitrogen, elsewhere = [], []
    for e in explanations:
        mol = Chem.MolFromSmiles(e.smiles)
        nitrogen = np.array([a.GetSymbol() == "N" for a in mol.GetAtoms()])
        assert e.atoms.shape == (mol.GetNumAtoms(),) and e.delta < 1e-6  # SHAP adds up
        assert 0.0 <= e.on_atoms <= 1.0 and e.top_features.count(";") == 4
        if nitrogen.any() and (~nitrogen).any():
            on_nitrogen.append(e.atoms[nitrogen].mean())
            elsewhere.append(e.atoms[~nitrogen].mean())
    assert np.mean(on_nitrogen) > 5 * abs(np.mean(elsewhere))
    assert np.mean(np.array(on_nitrogen) > np.array(elsewhere)) > 0.6


def test_explain_draws_a_boosted_model_and_says_how_much_is_on_atoms(
    nitrogen_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gbm.png"
    args = ["explain", "--model", str(nitrogen_model), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--smiles", " ".join(MOLECULES)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out.with_suffix(".csv"))
    assert table["smiles"].tolist() == MOLECULES
    assert (table["on_atoms"] < 1).all() and table["top_features"].str.contains("=").all()
    bad = CliRunner().invoke(app, [*args, "--smiles", "CCO not_a_molecule"])
    assert bad.exit_code != 0 and "molecule 2" in bad.output
