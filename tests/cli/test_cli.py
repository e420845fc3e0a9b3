"""End-to-end runs of the command line on tiny files."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from molbridge.cli.main import app, expand_variadic
from molbridge.io import load_bundle

runner = CliRunner()
SMALL = ["--epochs", "2", "--batch-size", "32", "--no-progress"]


def _invoke(*args: str) -> object:
    result = runner.invoke(app, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    data = Path(__file__).parents[1] / "data" / "bbbp_tiny.csv"
    result = _invoke("train", "--data", data, "--target-columns", "p_np", "--out", out, *SMALL)
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_every_output(trained: Path) -> None:
    for name in ("model.ckpt", "metrics.json", "config.yaml", "learning_curves.png"):
        assert (trained / name).exists(), name
    metrics = json.loads((trained / "metrics.json").read_text())
    assert set(metrics["valid"]) == {"roc_auc", "auprc"} and set(metrics["test"]) == {
        "roc_auc",
        "auprc",
    }
    assert (
        metrics["split_sizes"]["train"]
        + metrics["split_sizes"]["valid"]
        + metrics["split_sizes"]["test"]
        == 150
    )
    bundle = load_bundle(trained / "model.ckpt")
    assert bundle.kind == "property-model" and bundle.task["target_names"] == ["p_np"]


def test_predict_keeps_every_row_in_order(trained: Path, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.csv"
    result = _invoke(
        "predict", "--model", trained / "model.ckpt", "--data", data_dir / "messy.csv", "--out", out
    )
    assert result.exit_code == 0, result.output
    source = pd.read_csv(data_dir / "messy.csv", dtype=str, keep_default_na=False)
    pred = pd.read_csv(out, dtype={"error": str}, keep_default_na=False)
    assert len(pred) == len(source)
    assert pred["name"].tolist() == source["name"].tolist()
    invalid = {
        "not a molecule",
        "empty cell",
        "pentavalent carbon",
        "unclosed ring",
        "whitespace only",
    }
    for _, row in pred.iterrows():
        if row["name"] in invalid:
            assert row["p_np_pred"] == "" and row["error"], row["name"]
        else:
            assert 0.0 <= float(row["p_np_pred"]) <= 1.0 and row["error"] == "", row["name"]


def test_predict_matches_single_molecule_predictions(trained: Path, tmp_path: Path) -> None:
    smiles = ["CCO", "bad", "c1ccccc1O", "", "CCN(CC)CC.Cl"]
    pd.DataFrame({"smiles": smiles}).to_csv(tmp_path / "mix.csv", index=False)
    _invoke(
        "predict",
        "--model",
        trained / "model.ckpt",
        "--data",
        tmp_path / "mix.csv",
        "--out",
        tmp_path / "all.csv",
    )
    together = pd.read_csv(tmp_path / "all.csv")["p_np_pred"].to_numpy()
    for i, s in enumerate(smiles):
        if i in (1, 3):
            assert np.isnan(together[i])
            continue
        pd.DataFrame({"smiles": [s]}).to_csv(tmp_path / "one.csv", index=False)
        _invoke(
            "predict",
            "--model",
            trained / "model.ckpt",
            "--data",
            tmp_path / "one.csv",
            "--out",
            tmp_path / "one_out.csv",
        )
        alone = pd.read_csv(tmp_path / "one_out.csv")["p_np_pred"].iloc[0]
        assert alone == pytest.approx(together[i], abs=1e-5)


@pytest.mark.parametrize("suffix", [".npy", ".parquet"])
def test_embed(trained: Path, data_dir: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"emb{suffix}"
    result = _invoke(
        "embed", "--model", trained / "model.ckpt", "--data", data_dir / "messy.csv", "--out", out
    )
    assert result.exit_code == 0, result.output
    if suffix == ".npy":
        emb = np.load(out)
        errors = pd.read_csv(out.with_suffix(".errors.csv"), keep_default_na=False)
        assert emb.shape == (12, 300) and len(errors) == 12
        assert np.isnan(emb[1]).all() and np.isfinite(emb[0]).all()
    else:
        table = pd.read_parquet(out)
        assert len(table) == 12 and table["error"].iloc[1] != ""


def test_invalid_rows_raise_by_default_and_skip_on_request(data_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(data_dir / "bbbp_tiny.csv")
    frame.loc[5, "smiles"] = "C1CC(("
    frame.to_csv(tmp_path / "bad.csv", index=False)
    result = _invoke("train", "--data", tmp_path / "bad.csv", "--out", tmp_path / "r1", *SMALL)
    assert result.exit_code == 2
    assert "row 5" in result.output and "C1CC((" in result.output
    result = _invoke(
        "train",
        "--data",
        tmp_path / "bad.csv",
        "--out",
        tmp_path / "r2",
        "--on-invalid",
        "skip",
        "--epochs",
        "1",
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    skipped = pd.read_csv(tmp_path / "r2" / "skipped_rows.csv")
    assert skipped["row"].tolist() == [5] and skipped["smiles"].tolist() == ["C1CC(("]


def test_regression_with_separate_test_file_and_random_split(
    data_dir: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(data_dir / "esol_tiny.csv")
    frame.iloc[:100].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[100:].to_csv(tmp_path / "test.csv", index=False)
    result = _invoke(
        "train",
        "--data",
        tmp_path / "train.csv",
        "--test",
        tmp_path / "test.csv",
        "--split",
        "random",
        "--out",
        tmp_path / "reg",
        *SMALL,
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "reg" / "metrics.json").read_text())
    assert metrics["task"] == "regression" and metrics["split_sizes"]["test"] == 20
    assert metrics["test"]["rmse"] > 0


def test_column_split_multitask_with_missing_labels(data_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(data_dir / "tox21_tiny.csv")
    frame["part"] = ["train"] * 70 + ["valid"] * 15 + ["test"] * 15
    frame.to_csv(tmp_path / "tox.csv", index=False)
    result = _invoke(
        "train",
        "--data",
        tmp_path / "tox.csv",
        "--target-columns",
        "NR-AR NR-AhR SR-MMP",
        "--split",
        "column:part",
        "--out",
        tmp_path / "tox",
        *SMALL,
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "tox" / "metrics.json").read_text())
    assert metrics["split_sizes"] == {"train": 70, "valid": 15, "test": 15}


def test_errors_are_clear(tmp_path: Path) -> None:
    result = _invoke("train", "--data", "no_such_dataset", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "neither a file nor a bundled dataset" in result.output
    evil = tmp_path / "evil.ckpt"
    evil.write_bytes(b"\x80\x04K\x01.")
    result = _invoke(
        "predict", "--model", evil, "--data", tmp_path / "x.csv", "--out", tmp_path / "p.csv"
    )
    assert result.exit_code == 2 and "never unpickles" in result.output


def test_target_columns_take_several_values_after_one_flag() -> None:
    from molbridge.cli.main import expand_variadic

    argv = ["train", "--target-columns", "A", "B", "--out", "x", "--target-columns", "C"]
    assert expand_variadic(argv) == [
        "train",
        "--target-columns",
        "A",
        "--target-columns",
        "B",
        "--out",
        "x",
        "--target-columns",
        "C",
    ]


def test_resume_refuses_other_settings(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["train", "--data", data_dir / "esol_tiny.csv", "--out", out, "--no-progress"]
    assert _invoke(*args, "--epochs", "1").exit_code == 0
    result = _invoke(*args, "--epochs", "1", "--lr", "0.01", "--resume")
    assert result.exit_code == 2 and "other settings" in result.output


def test_featurizer_choice_travels_in_the_checkpoint(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "hu"
    result = _invoke(
        "train",
        "--data",
        data_dir / "bbbp_tiny.csv",
        "--out",
        out,
        "--epochs",
        "1",
        "--no-progress",
        "--atom-features",
        "atomic_num,chirality",
        "--bond-features",
        "bond_type",
    )
    assert result.exit_code == 0, result.output
    bundle = load_bundle(out / "model.ckpt")
    assert bundle.featurizer["atom_features"] == ["atomic_num", "chirality"]
    assert bundle.encoder["atom_dims"] == [120, 5]
    result = _invoke(
        "predict",
        "--model",
        out / "model.ckpt",
        "--data",
        data_dir / "messy.csv",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "p.csv")) == 12


def test_blank_lines_keep_their_rows(trained: Path, tmp_path: Path) -> None:
    (tmp_path / "blank.csv").write_text("smiles\nCCO\n\nc1ccccc1\n")
    out = tmp_path / "blank_pred.csv"
    assert (
        _invoke(
            "predict",
            "--model",
            trained / "model.ckpt",
            "--data",
            tmp_path / "blank.csv",
            "--out",
            out,
        ).exit_code
        == 0
    )
    pred = pd.read_csv(out, keep_default_na=False)
    assert len(pred) == 3 and pred["error"].tolist()[1] != "" and pred["error"].tolist()[2] == ""


def test_column_split_cannot_mix_with_files(data_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(data_dir / "esol_tiny.csv")
    frame["part"] = ["train"] * 100 + ["test"] * 20
    frame.to_csv(tmp_path / "d.csv", index=False)
    result = _invoke(
        "train",
        "--data",
        tmp_path / "d.csv",
        "--split",
        "column:part",
        "--test",
        tmp_path / "d.csv",
        "--out",
        tmp_path / "o",
        *SMALL,
    )
    assert result.exit_code == 2 and "cannot be combined" in result.output
    result = _invoke(
        "train",
        "--data",
        data_dir / "esol_tiny.csv",
        "--metric",
        "roc_auc",
        "--out",
        tmp_path / "o2",
        *SMALL,
    )
    assert result.exit_code == 2 and "does not fit" in result.output


@pytest.mark.slow
def test_benchmark_runs_resumes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    args = ["benchmark", "moleculenet", "--datasets", "freesolv", "--models", "gin", "ecfp-svm"]
    args += ["--seeds", "2", "--epochs", "1", "--no-progress", "--out", str(out)]
    args = expand_variadic(args)  # what `main()` does before click parses
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "results.json").read_text())
    row = summary["datasets"][0]
    assert row["name"] == "freesolv" and summary["models"] == ["gin", "ecfp-svm"]
    for model in ("gin", "ecfp-svm"):
        assert row["results"][model]["seeds"] == [0, 1]
        assert row["results"][model]["rmse"]["mean"] > 0
    assert (out / "results.png").stat().st_size > 0
    report = (out / "results.md").read_text()
    assert "freesolv" in report and "± " in report
    cell = out / "cells" / "freesolv" / "gin" / "seed0"
    assert (cell / "test_predictions.csv").exists()
    # the first seed's model is kept for the report's explanations, the others are not
    assert (cell / "model.ckpt").exists() and not (cell.parent / "seed1" / "model.ckpt").exists()

    again = _invoke(*args)
    assert again.exit_code == 2 and "--resume" in again.output
    stamp = (cell / "result.json").stat().st_mtime_ns
    resumed = _invoke(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert (cell / "result.json").stat().st_mtime_ns == stamp  # not run again
    assert json.loads((out / "results.json").read_text()) == summary


@pytest.mark.slow
def test_benchmark_fine_tunes_several_pretrained_encoders_beside_the_plain_gin(
    tmp_path: Path,
) -> None:
    shipped = sorted((Path(__file__).parents[2] / "models").glob("*/encoder.ckpt"))[:2]
    inits = [arg for k, p in enumerate(shipped) for arg in ("--init", f"m{k}={p}")]
    out = tmp_path / "bench"
    args = ["benchmark", "moleculenet", "--datasets", "freesolv", "--seeds", "1", *inits]
    args += ["--models", "gin", "gin+m0", "gin+m1", "--epochs", "1", "--no-progress"]
    result = _invoke(*expand_variadic([*args, "--out", str(out)]))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "results.json").read_text())
    assert summary["models"] == ["gin", "gin+m0", "gin+m1"]
    rmse = [summary["datasets"][0]["results"][m]["rmse"]["mean"] for m in summary["models"]]
    assert len(set(rmse)) == 3  # three different starting points, three different models
    assert "| freesolv | rmse |" in (out / "results.md").read_text()


def test_benchmark_rejects_unknown_datasets_and_models(tmp_path: Path) -> None:
    result = _invoke("benchmark", "admet", "--datasets", "qm9", "--out", tmp_path / "b")
    assert result.exit_code == 2 and "no dataset" in result.output
    result = _invoke("benchmark", "admet", "--models", "gin-init", "--out", tmp_path / "b")
    assert result.exit_code == 2 and "--init" in result.output
    args = ["benchmark", "admet", "--init", "am=no/such.ckpt", "--out", tmp_path / "b"]
    result = _invoke(*args)
    assert result.exit_code == 2 and "no/such.ckpt (gin+am): no such file" in result.output
    result = _invoke(*args, "--models", "gin+cp")
    assert result.exit_code == 2 and "unknown model" in result.output


def test_pretrain_modality_writes_a_loadable_encoder(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "fp"
    args = ["pretrain-modality", "fingerprint", "--corpus", data_dir / "bbbp_tiny.csv"]
    result = _invoke(
        *args,
        "--max-molecules",
        "8",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--out",
        out,
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    bundle = load_bundle(out / "encoder.ckpt")
    assert bundle.kind == "encoder" and bundle.encoder["name"] == "fingerprint-mlp"
    assert bundle.featurizer["name"] == "ecfp"
    missing = _invoke(
        "pretrain-modality",
        "smiles",
        "--corpus",
        tmp_path / "none.csv",
        "--out",
        tmp_path / "x",
        "--no-progress",
    )
    assert missing.exit_code == 2 and "use --corpus moses" in " ".join(missing.output.split())
