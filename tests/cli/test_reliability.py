"""Bad input, odd paths and damaged files, as a new user meets them: each gives one clear line
and exit code 2, and nothing of the user's is lost (docs/reliability.md lists the probes)."""

import csv
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from molbridge.cli.main import app

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data"
SMALL = ["--epochs", "1", "--batch-size", "32", "--no-progress"]


def _invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    text = " ".join(result.output.split())
    for fragment in fragments:
        assert fragment in text, (fragment, result.output)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    result = _invoke(
        "train", "--data", DATA / "bbbp_tiny.csv", "--target-columns", "p_np", "--out", out, *SMALL
    )
    assert result.exit_code == 0, result.output
    return out / "model.ckpt"


# -- 2: --out into a folder of the user's ------------------------------------------------
def _user_folder(root: Path) -> dict[Path, bytes]:
    files = {
        root / "memberships" / "list.txt": b"alice\n",
        root / "member_notes" / "checkpoints" / "keep.txt": b"notes",
        root / "member_notes" / "record.json": b"{}",
        root / "model.ckpt": b"my own model",
        root / "metrics.json": b'{"mine": 1}',
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def test_train_refuses_a_folder_of_user_files_and_leaves_it_untouched(tmp_path: Path) -> None:
    files = _user_folder(tmp_path / "mine")
    result = _invoke("train", "--data", DATA / "bbbp_tiny.csv", "--out", tmp_path / "mine", *SMALL)
    _one_line_error(result, "is not empty", "--overwrite")
    for path, content in files.items():
        assert path.read_bytes() == content, path


def test_overwrite_and_reruns_delete_nothing_the_run_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    files = _user_folder(out)
    args = ("train", "--data", DATA / "bbbp_tiny.csv", "--out", out, *SMALL)
    assert _invoke(*args, "--overwrite").exit_code == 0
    (out / "later_notes.txt").write_text("written between two runs")
    assert _invoke(*args).exit_code == 0  # a rerun into its own run folder needs no flag
    for path, content in files.items():
        if path.name not in ("model.ckpt", "metrics.json"):  # replaced, as --overwrite said
            assert path.read_bytes() == content, path
    assert (out / "later_notes.txt").read_text() == "written between two runs"
    assert (out / "member0" / "record.json").exists()


def test_a_folder_of_another_kind_of_run_is_refused(tmp_path: Path, model: Path) -> None:
    result = _invoke(
        "pretrain", "--strategy", "attr-masking", "--out", model.parent, "--corpus", "x.csv"
    )
    _one_line_error(result, "holds a molbridge train run")


# -- 3: infinite labels, non-finite loss -------------------------------------------------
@pytest.mark.parametrize("label", ["inf", "-inf", "1e999", "-Infinity", "3e39"])
@pytest.mark.parametrize("where", ["train", "test"])
def test_infinite_labels_are_refused_with_row_and_value(
    tmp_path: Path, label: str, where: str
) -> None:
    frame = pd.read_csv(DATA / "esol_tiny.csv", dtype=str)
    train, test = frame.iloc[:100].copy(), frame.iloc[100:].copy()
    part = train if where == "train" else test
    part.iloc[7, 1] = label
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    result = _invoke(
        "train", "--data", tmp_path / "train.csv", "--test", tmp_path / "test.csv",
        "--out", tmp_path / "run", *SMALL,
    )  # fmt: skip
    _one_line_error(result, "row 7 (line 9)", repr(label), "not a finite number")


def test_a_loss_that_becomes_non_finite_stops_the_run_without_a_model(tmp_path: Path) -> None:
    result = _invoke(
        "train", "--data", DATA / "esol_tiny.csv", "--out", tmp_path / "run",
        "--lr", "1e30", "--epochs", "3", "--no-progress",
    )  # fmt: skip
    _one_line_error(result, "training loss became", "saved no model")
    assert not (tmp_path / "run" / "model.ckpt").exists()


# -- 4: predict's CSV keeps its rows whatever the cells hold ------------------------------
def test_predict_output_keeps_rows_with_carriage_returns(model: Path, tmp_path: Path) -> None:
    names = ["a\rb", "c\r", "\rd", "e\nf", 'g"h', "i,j", " "]
    smiles = ["CCO", "CC\rO", "c1ccccc1", "C\nC", "CCN", "bad\r", "CO"]
    source = tmp_path / "in.csv"
    pd.DataFrame({"name": names, "smiles": smiles}).to_csv(
        source, index=False, quoting=csv.QUOTE_ALL
    )
    result = _invoke("predict", "--model", model, "--data", source, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    back = pd.read_csv(tmp_path / "p.csv", dtype=str, keep_default_na=False)
    assert back["name"].tolist() == names and back["smiles"].tolist() == smiles


# -- 6 and 11: output paths checked before any work ---------------------------------------
def test_out_under_a_regular_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = _invoke("train", "--data", DATA / "bbbp_tiny.csv", "--out", tmp_path / "file" / "r")
    _one_line_error(result, "cannot be written")
    result = _invoke("train", "--data", DATA / "bbbp_tiny.csv", "--out", tmp_path / "file")
    _one_line_error(result, "is a file")


def test_out_in_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    result = _invoke("train", "--data", DATA / "bbbp_tiny.csv", "--out", "/proc/molbridge-run")
    _one_line_error(result, "cannot be written")


@pytest.mark.parametrize("bad_out", ["folder", "under_file", "unwritable", "the_input"])
def test_predict_checks_its_output_before_any_work(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_out: str
) -> None:
    import molbridge.pipeline.predict as predict

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("predicted before checking --out")

    monkeypatch.setattr(predict, "predict_frame", no_work)
    source = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(source, index=False)
    before = source.read_bytes()
    (tmp_path / "file").write_text("x")
    out = {
        "folder": tmp_path,
        "under_file": tmp_path / "file" / "p.csv",
        "unwritable": Path("/proc/molbridge/p.csv"),
        "the_input": source,
    }[bad_out]
    result = _invoke("predict", "--model", model, "--data", source, "--out", out)
    _one_line_error(result, "--out")
    assert source.read_bytes() == before


def test_embed_refuses_to_overwrite_its_input(model: Path, tmp_path: Path) -> None:
    source = tmp_path / "emb.errors.csv"  # where embed --out emb.npy writes its error list
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(source, index=False)
    result = _invoke("embed", "--model", model, "--data", source, "--out", tmp_path / "emb.npy")
    _one_line_error(result, "input file")


# -- 7: resume from a damaged or hostile checkpoint ---------------------------------------
class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "hostile"])
def test_resume_from_an_unreadable_checkpoint_is_one_line(
    model: Path, tmp_path: Path, damage: str
) -> None:
    import shutil

    out = tmp_path / "run"
    shutil.copytree(model.parent, out)
    last = out / "member0" / "checkpoints" / "last.ckpt"
    marker = tmp_path / "pwned"
    if damage == "truncated":
        last.write_bytes(last.read_bytes()[:1000])
    elif damage == "garbage":
        last.write_bytes(b"\x00\x01 not a checkpoint")
    else:
        torch.save({"state_dict": _Payload(marker)}, last)
    (out / "member0" / "record.json").unlink()  # the member is unfinished: it must resume
    result = _invoke(
        "train", "--data", DATA / "bbbp_tiny.csv", "--target-columns", "p_np", "--out", out,
        "--resume", *SMALL,
    )  # fmt: skip
    _one_line_error(result, "cannot resume", "without --resume to start fresh")
    assert "weights_only=False" not in result.output
    assert not marker.exists()
    assert pickle  # the hostile case is a pickle payload; it never ran


# -- 8: a single class --------------------------------------------------------------------
def test_training_on_a_single_class_is_refused(tmp_path: Path) -> None:
    frame = pd.read_csv(DATA / "bbbp_tiny.csv")
    frame["p_np"] = 1
    frame.to_csv(tmp_path / "ones.csv", index=False)
    result = _invoke(
        "train", "--data", tmp_path / "ones.csv", "--task", "classification",
        "--out", tmp_path / "run", *SMALL,
    )  # fmt: skip
    _one_line_error(result, "single class for every target", "p_np (only 1)")


def test_a_test_part_with_one_class_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from molbridge.pipeline.data_prep import prepare_data
    from molbridge.pipeline.train import TrainConfig

    frame = pd.read_csv(DATA / "bbbp_tiny.csv")
    test = frame[frame["p_np"] == 1].iloc[:10]
    test.to_csv(tmp_path / "test.csv", index=False)
    frame.drop(test.index).to_csv(tmp_path / "train.csv", index=False)
    config = TrainConfig(
        data=str(tmp_path / "train.csv"), test=str(tmp_path / "test.csv"), out=str(tmp_path)
    )
    with caplog.at_level("WARNING"):
        prepare_data(config)
    assert "the test part lacks a class for 1 of 1 targets" in caplog.text


# -- 9: numbers validated at the edge -----------------------------------------------------
@pytest.mark.parametrize(
    "flag", [("--batch-size", "0"), ("--epochs", "0"), ("--checkpoint-every", "0")]
)
def test_pretrain_refuses_zero_counts(tmp_path: Path, flag: tuple[str, str]) -> None:
    result = _invoke(
        "pretrain", "--strategy", "attr-masking", "--corpus", DATA / "bbbp_tiny.csv",
        "--out", tmp_path / "pt", *flag,
    )  # fmt: skip
    assert result.exit_code == 2 and flag[0] in result.output
    assert not (tmp_path / "pt").exists()


def test_configs_refuse_zero_counts_in_the_library_too(tmp_path: Path) -> None:
    from molbridge.pipeline.modality import ModalityConfig
    from molbridge.pipeline.pretrain import PretrainConfig
    from molbridge.pipeline.train import TrainConfig

    with pytest.raises(ValueError, match="--batch-size must be"):
        PretrainConfig(strategy="attr-masking", out=str(tmp_path), batch_size=0)
    with pytest.raises(ValueError, match="--epochs must be"):
        ModalityConfig(modality="smiles", out=str(tmp_path), epochs=0)
    with pytest.raises(ValueError, match="--lr must be"):
        TrainConfig(data="x", out=str(tmp_path), lr=float("nan"))


# -- 10: every option of every command has readable help at 80 columns --------------------
def _commands() -> list[tuple[str, Any]]:
    return sorted(typer.main.get_command(app).commands.items())  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [name for name, _ in _commands()])
def test_help_of_every_command_is_complete_at_80_columns(name: str) -> None:
    command = dict(_commands())[name]
    result = runner.invoke(app, [name, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "<bool>" not in result.output
    for param in command.params:
        if param.param_type_name != "option":
            continue
        for option in param.opts:
            assert option in result.output, (name, option)  # never cut short
        help_text = " ".join((param.help or "").split())
        assert help_text, f"{name} {param.opts[0]} has no description"
        assert help_text in text, (name, param.opts[0], help_text)  # no text lost to markup
    if name == "train":
        assert "roc_auc" in text and "rmse" in text  # --metric lists the valid names


def test_bf16_prediction_matches_fp32(model: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    pd.read_csv(DATA / "bbbp_tiny.csv").to_csv(source, index=False)
    outputs = {}
    for precision in ("32", "bf16-mixed"):
        out = tmp_path / f"{precision}.csv"
        result = _invoke(
            "predict", "--model", model, "--data", source, "--out", out, "--precision", precision
        )
        assert result.exit_code == 0, result.output
        outputs[precision] = pd.read_csv(out)["p_np_pred"].to_numpy()
    assert np.abs(outputs["32"] - outputs["bf16-mixed"]).max() < 0.02
