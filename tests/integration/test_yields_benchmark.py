"""`benchmark yields` on a few splits of small samples: both model families, the report,
resume, and a teacher's weights in (or refused, when it read the set's yields)."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from molbridge.benchmarks.yields import YieldsOptions, _parts, run_yields, split_group
from molbridge.cli.main import app
from molbridge.data.reactions import yield_bert_split
from molbridge.pipeline.pretrain import pretrain
from tests.helpers import tiny_pretrain_config

SMALL = dict(epochs=2, hidden_dim=16, num_layers=2, gbm_iterations=20, subsample=60)


def test_parts_split_the_train_part_and_keep_the_test_part() -> None:
    options = YieldsOptions(out="unused", datasets=["buchwald_hartwig"])
    fit, valid, test = _parts("buchwald_hartwig", "FullCV_03", options)
    train, published_test = yield_bert_split("buchwald_hartwig", "FullCV_03")
    assert sorted(np.r_[fit, valid]) == sorted(train) and np.array_equal(test, published_test)
    assert len(valid) == round(0.1 * len(train)) and not set(valid) & set(test)
    assert split_group("Test3") == "Test3" and split_group("FullCV_01") == "random 70/30"


def test_both_models_report_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "y"
    options = YieldsOptions(
        out=str(out), datasets=["buchwald_hartwig"], splits=["FullCV_01", "Test2"], **SMALL
    )
    summary = run_yields(options)
    groups = {row["group"] for row in summary["rows"]}
    assert groups == {"random 70/30", "Test2"}
    random = next(r for r in summary["rows"] if r["group"] == "random 70/30")
    assert set(random["results"]) == {"drfp-gbm", "reaction-gin"}
    assert random["anchors"][0]["name"] == "Yield-BERT"
    for model in ("drfp-gbm", "reaction-gin"):
        result = json.loads(
            (out / f"cells/buchwald_hartwig/FullCV_01/{model}/result.json").read_text()
        )
        assert np.isfinite(result["r2"]) and result["n_test"] == 60
    assert "drfp-gbm" in (out / "results.md").read_text() and (out / "results.png").exists()
    done = out / "cells/buchwald_hartwig/Test2/reaction-gin/result.json"
    before = done.stat().st_mtime_ns
    options.resume = True
    run_yields(options)
    assert done.stat().st_mtime_ns == before  # a finished cell is not run again


def test_a_teacher_is_used_only_where_it_never_read_the_yields(tmp_path: Path) -> None:
    teacher_run = tmp_path / "teacher"
    pretrain(
        tiny_pretrain_config(
            teacher_run,
            "reaction-distill",
            num_layers=2,
            options={"reactions": ["uspto_50k"], "reaction_limit": 20, "teacher_epochs": 1},
        )
    )
    teacher = str(teacher_run / "teacher" / "teacher.ckpt")
    out = tmp_path / "y"
    options = YieldsOptions(
        out=str(out),
        datasets=["suzuki_miyaura"],
        splits=["random_split_0"],
        models=["reaction-gin+uspto"],
        init={"uspto": teacher},
        **SMALL,
    )
    summary = run_yields(options)
    assert "reaction-gin+uspto" in summary["rows"][0]["results"]
    # a teacher trained with the Suzuki–Miyaura yields is refused on that set, by the CLI too
    leaky = tmp_path / "leaky"
    pretrain(
        tiny_pretrain_config(
            leaky,
            "reaction-distill",
            num_layers=2,
            options={"reactions": ["suzuki_miyaura"], "reaction_limit": 20, "teacher_epochs": 1},
        )
    )
    with pytest.raises(ValueError, match="include every split's test reactions"):
        run_yields(
            YieldsOptions(
                out=str(tmp_path / "y2"),
                datasets=["suzuki_miyaura"],
                init={"sm": str(leaky / "teacher" / "teacher.ckpt")},
                **SMALL,
            )
        )
    result = CliRunner().invoke(
        app,
        [
            "benchmark",
            "yields",
            "--datasets",
            "suzuki_miyaura",
            "--init",
            f"sm={leaky / 'teacher' / 'teacher.ckpt'}",
            "--out",
            str(tmp_path / "y3"),
        ],
    )
    assert result.exit_code != 0 and "test reactions" in result.output
