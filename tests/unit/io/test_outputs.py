"""Output helpers: CSVs read back as written, run folders delete only their own files."""

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from molbridge.data.table import read_table
from molbridge.io.outputs import MANIFEST, OutputPathError, RunFolder, write_csv

# any text a decoded CSV cell can hold (no lone surrogates: they are not UTF-8)
cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=8))
def test_write_csv_round_trips_any_text(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["smiles", "error"])
    frame["value"] = [float(i) / 3 for i in range(len(rows))]
    path = write_csv(frame, tmp_path / "out.csv")
    back = read_table(path)
    assert back["smiles"].tolist() == frame["smiles"].tolist()
    assert back["error"].tolist() == frame["error"].tolist()
    assert back["value"].astype(float).tolist() == frame["value"].tolist()


def test_a_fresh_run_deletes_only_what_its_manifest_lists(tmp_path: Path) -> None:
    first = RunFolder.claim(tmp_path / "run", "train")
    first.file("model.ckpt").write_text("old model")
    (first.file("member0") / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "member_notes").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    second = RunFolder.claim(tmp_path / "run", "train")
    assert not (tmp_path / "run" / "model.ckpt").exists()
    assert not (tmp_path / "run" / "member0").exists()
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "run" / "member_notes").is_dir()
    assert second.files == []


def test_resume_deletes_nothing(tmp_path: Path) -> None:
    RunFolder.claim(tmp_path, "train").file("model.ckpt").write_text("x")
    RunFolder.claim(tmp_path, "train", resume=True)
    assert (tmp_path / "model.ckpt").read_text() == "x"


def test_a_manifest_cannot_reach_outside_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    run = tmp_path / "run"
    run.mkdir()
    (run / MANIFEST).write_text(json.dumps({"kind": "train", "files": ["../precious.txt", "."]}))
    RunFolder.claim(run, "train")
    assert outside.read_text() == "keep" and run.is_dir()


def test_another_kind_of_run_is_refused_unless_overwrite(tmp_path: Path) -> None:
    RunFolder.claim(tmp_path, "pretrain").file("encoder.ckpt").write_text("x")
    with pytest.raises(OutputPathError, match="holds a molbridge pretrain run"):
        RunFolder.claim(tmp_path, "train")
    RunFolder.claim(tmp_path, "train", overwrite=True)
    assert (tmp_path / "encoder.ckpt").read_text() == "x"  # not this run's: not deleted
