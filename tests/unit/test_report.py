import json
from pathlib import Path

import numpy as np
import pytest

from molbridge.report.channels import plot_channel_weights, plot_channel_weights_by_set
from molbridge.report.tables import load_runs, markdown_runs_table, mean_std, summarize


def _run(folder: Path, seed: int, auc: float) -> Path:
    folder.mkdir()
    metrics = {
        "seed": seed,
        "valid": {"roc_auc": auc + 0.1},
        "test": {"roc_auc": auc},
        "members": [{"best_epoch": 3}],
        "wall_seconds": 1.0,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_mean_std_and_table(tmp_path: Path) -> None:
    runs = load_runs([_run(tmp_path / f"s{i}", i, v) for i, v in enumerate([0.6, 0.7, 0.8])])
    mean, std = summarize(runs)["roc_auc"]
    assert mean == pytest.approx(0.7) and std == pytest.approx(0.1)
    assert mean_std([5.0]) == (5.0, 0.0)
    table = markdown_runs_table(runs, scale=100)
    assert "**70.000 ± 10.000**" in table and table.count("\n") == 5
    with pytest.raises(FileNotFoundError, match=r"no metrics\.json"):
        load_runs([tmp_path / "missing"])


def test_benchmark_summary_ranks_averages_and_report(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import moleculenet
    from molbridge.report.benchmark import plot_results, summarize_cells, write_markdown

    suite = moleculenet()
    datasets = suite.select(["bbbp", "bace", "esol"])
    records = []
    for seed, (a, b) in enumerate([(0.70, 0.60), (0.72, 0.64)]):
        records += [
            {"dataset": "bbbp", "model": "gin", "seed": seed, "test": {"roc_auc": a}},
            {"dataset": "bbbp", "model": "ecfp-rf", "seed": seed, "test": {"roc_auc": b}},
            {"dataset": "bace", "model": "gin", "seed": seed, "test": {"roc_auc": b}},
            {"dataset": "bace", "model": "ecfp-rf", "seed": seed, "test": {"roc_auc": a}},
            {"dataset": "esol", "model": "gin", "seed": seed, "test": {"rmse": 1.0 + seed}},
            {"dataset": "esol", "model": "ecfp-rf", "seed": seed, "skipped": "too big"},
        ]
    summary = summarize_cells(suite, datasets, ["gin", "ecfp-rf"], records)
    bbbp = summary["datasets"][0]["results"]
    assert bbbp["gin"]["roc_auc"]["mean"] == pytest.approx(0.71)
    assert bbbp["gin"]["roc_auc"]["std"] == pytest.approx(np.std([0.70, 0.72], ddof=1))
    assert summary["mean_rank"] == {"gin": 1.5, "ecfp-rf": 1.5}  # one win each; esol incomplete
    assert summary["averages"]["roc_auc"]["gin"] == pytest.approx((0.71 + 0.62) / 2)
    assert "rmse" not in summary["averages"]  # ecfp-rf has no esol result
    write_markdown(summary, tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "**71.0 ± 1.4**" in text and "not run" in text and "Hu et al. 2020" in text
    plot_results(summary, tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 0


def test_report_shows_each_pretrained_gin_against_the_plain_gin(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import moleculenet
    from molbridge.report.benchmark import summarize_cells, write_markdown

    suite = moleculenet()
    datasets = suite.select(["bbbp", "esol"])
    scores = {  # (bbbp roc_auc, esol rmse) per model, the same for both seeds
        "gin": (0.70, 1.00),
        "gin+am": (0.73, 1.10),  # better on bbbp, worse on esol
        "gin+cp": (0.65, 0.90),  # worse on bbbp, better on esol
    }
    records = [
        {"dataset": name, "model": m, "seed": s, "test": {metric: v[i]}}
        for m, v in scores.items()
        for s in (0, 1)
        for i, (name, metric) in enumerate([("bbbp", "roc_auc"), ("esol", "rmse")])
    ]
    summary = summarize_cells(suite, datasets, list(scores), records)
    write_markdown(summary, tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "## Change against the GIN without pre-training" in text
    assert "| bbbp | roc_auc | +3.0 | -5.0 |" in text
    assert "| esol | rmse | +0.100 | -0.100 |" in text
    assert "| *better than gin on* | | 1 of 2 | 1 of 2 |" in text


def test_init_models_names_one_or_several_pretrained_encoders() -> None:
    from molbridge.benchmarks import init_models

    assert init_models([]) == {}
    assert init_models(["models/a/encoder.ckpt"]) == {"gin-init": "models/a/encoder.ckpt"}
    assert init_models(["am=a.ckpt", "cp=c.ckpt"]) == {"gin+am": "a.ckpt", "gin+cp": "c.ckpt"}
    with pytest.raises(ValueError, match="LABEL=PATH"):
        init_models(["a.ckpt", "c.ckpt"])
    with pytest.raises(ValueError, match="twice"):
        init_models(["am=a.ckpt", "am=c.ckpt"])


def test_a_single_seed_is_shown_without_a_spread(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import moleculenet
    from molbridge.report.benchmark import summarize_cells, write_markdown

    suite = moleculenet()
    records = [
        {"dataset": "bbbp", "model": "gin", "seed": 0, "test": {"roc_auc": 0.70}},
        {"dataset": "bbbp", "model": "ecfp-rf", "seed": 0, "test": {"roc_auc": 0.60}},
        {"dataset": "bbbp", "model": "ecfp-rf", "seed": 1, "test": {"roc_auc": 0.64}},
    ]
    summary = summarize_cells(suite, suite.select(["bbbp"]), ["gin", "ecfp-rf"], records)
    write_markdown(summary, tmp_path / "r.md")
    row = next(line for line in (tmp_path / "r.md").read_text().splitlines() if "bbbp" in line)
    assert "| **70.0** | 62.0 ± 2.8 |" in row


def test_gbm_is_checked_against_the_published_boosted_trees(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import admet
    from molbridge.report.benchmark import reproduced, summarize_cells, write_markdown

    assert reproduced(0.284, 0.010, 0.276)  # within 2 std
    assert reproduced(0.700, 0.001, 0.707)  # within 2 % of the value
    assert not reproduced(0.650, 0.010, 0.707)
    suite = admet()
    datasets = suite.select(["caco2_wang", "herg"])
    records = []
    for seed, (mae, auc) in enumerate([(0.28, 0.80), (0.29, 0.81)], start=1):
        records += [
            {"dataset": "caco2_wang", "model": "gbm", "seed": seed, "test": {"mae": mae}},
            {"dataset": "caco2_wang", "model": "gbm+am", "seed": seed, "test": {"mae": mae - 0.01}},
            {"dataset": "herg", "model": "gbm", "seed": seed, "test": {"roc_auc": auc}},
            {"dataset": "herg", "model": "gbm+am", "seed": seed, "test": {"roc_auc": auc}},
        ]
    summary = summarize_cells(suite, datasets, ["gbm", "gbm+am"], records)
    write_markdown(summary, tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "| caco2_wang | mae | 0.285 ± 0.007 | 0.276 | +0.009 | yes |" in text
    assert "| herg | roc_auc | 0.805 ± 0.007 | 0.871 | -0.066 | no |" in text
    assert "| *reproduced* | | | | | 1 of 2 |" in text
    assert "| *better than gbm on* | | 1 of 2 |" in text


def test_a_run_in_progress_is_compared_on_the_seeds_it_has(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import admet
    from molbridge.report.benchmark import summarize_cells, write_markdown

    suite = admet()
    aucs = {1: 0.80, 2: 0.90, 3: 0.70}  # gbm's mean over the three: 0.80
    records = [
        {"dataset": "herg", "model": "gbm", "seed": s, "test": {"roc_auc": a}}
        for s, a in aucs.items()
    ]
    # only seed 2 finished: 0.01 below gbm's seed 2, though above gbm's mean of all three
    records.append({"dataset": "herg", "model": "gbm+am", "seed": 2, "test": {"roc_auc": 0.89}})
    summary = summarize_cells(suite, suite.select(["herg"]), ["gbm", "gbm+am"], records)
    write_markdown(summary, tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "| herg | roc_auc | -0.010 (1 of 3 seeds) |" in text
    assert "| *better than gbm on* | | 0 of 0 |" in text
    assert "left out of the count" in text


def test_probe_panel_puts_one_row_per_encoder(tmp_path: Path) -> None:
    from molbridge.benchmarks.probe import summarize_panel, write_panel_markdown

    def suite_summary(a: float, b: float) -> dict:
        return {
            "averages": {"rmse": {"n_datasets": 30, "probe+random": a, "probe+am": b}},
            "mean_rank": {"probe+random": 2.0, "probe+am": 1.0},
            "seconds": {"probe+random": 60.0, "probe+am": 120.0},
        }

    panel = summarize_panel({"moleculeace": suite_summary(1.0, 0.9)}, ["random", "am"])
    assert [r["encoder"] for r in panel["encoders"]] == ["random", "am"]
    write_panel_markdown(panel, tmp_path / "p.md")
    text = (tmp_path / "p.md").read_text()
    assert "| random | — | — | — | 1.000 | — | 1.0 |" in text
    assert "| am | — | — | — | 0.900 | — | 2.0 |" in text


def test_a_seed_without_a_value_does_not_shift_the_others(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import admet
    from molbridge.report.benchmark import records_of, summarize_cells, write_markdown

    suite = admet()
    records = [  # gbm's seed 1 has no finite ROC-AUC (one class in its test fold, say)
        {"dataset": "herg", "model": "gbm", "seed": s, "test": {"roc_auc": a}}
        for s, a in {1: float("nan"), 2: 0.90, 3: 0.70}.items()
    ]
    records += [
        {"dataset": "herg", "model": "gbm+am", "seed": s, "test": {"roc_auc": a}}
        for s, a in {1: 0.95, 2: 0.89}.items()
    ]
    summary = summarize_cells(suite, suite.select(["herg"]), ["gbm", "gbm+am"], records)
    # seed 2 is the only seed with both: 0.89 - 0.90, not the means' 0.92 - 0.80
    write_markdown(summary, tmp_path / "r.md")
    assert "| herg | roc_auc | -0.010 (1 of 2 seeds) |" in (tmp_path / "r.md").read_text()
    # a results.json read back gives each value its own seed, the gap kept
    (tmp_path / "results.json").write_text(json.dumps(summary))
    rebuilt = {(r["model"], r["seed"]): r["test"]["roc_auc"] for r in records_of(tmp_path)}
    assert np.isnan(rebuilt[("gbm", 1)]) and rebuilt[("gbm", 2)] == 0.90
    assert rebuilt[("gbm", 3)] == 0.70 and rebuilt[("gbm+am", 1)] == 0.95


def test_the_mean_rank_says_over_how_many_sets_when_a_model_lacks_some(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import admet
    from molbridge.report.benchmark import summarize_cells, write_markdown

    suite = admet()
    records = [
        {"dataset": d, "model": "gbm", "seed": 1, "test": {"roc_auc": 0.8}}
        for d in ("herg", "ames")
    ]
    records.append({"dataset": "herg", "model": "gbm+am", "seed": 1, "test": {"roc_auc": 0.9}})
    summary = summarize_cells(suite, suite.select(["herg", "ames"]), ["gbm", "gbm+am"], records)
    write_markdown(summary, tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "(1 = best), over the 1 of 2 datasets every model has" in text
    assert summary["mean_rank"] == {"gbm": 2.0, "gbm+am": 1.0}


def test_sources_read_as_one_refuse_a_model_found_in_two(tmp_path: Path) -> None:
    from molbridge.benchmarks.suites import admet
    from molbridge.report.benchmark import records_of_sources, summarize_cells

    suite = admet()
    for name, models in {"a": ["gbm"], "b": ["gbm+am"], "c": ["gbm+am", "gbm+cp"]}.items():
        records = [
            {"dataset": "herg", "model": m, "seed": 1, "test": {"roc_auc": 0.8}} for m in models
        ]
        summary = summarize_cells(suite, suite.select(["herg"]), models, records)
        (tmp_path / f"{name}.json").write_text(json.dumps(summary))
    both = records_of_sources([tmp_path / "a.json", tmp_path / "b.json"])
    assert [r["model"] for r in both] == ["gbm", "gbm+am"]
    with pytest.raises(ValueError, match=r"'gbm\+am' is in two sources: .*b.json and .*c.json"):
        records_of_sources([tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"])


def test_the_channel_weights_of_the_cells_are_plotted_by_set(tmp_path: Path) -> None:
    weights = {"molecule": 0.5, "scaffold": 0.2, "context": 0.3}
    records = [
        {"dataset": d, "model": "gin+mc", "seed": s, "channel_weights": [weights]}
        for d in ("bbbp", "bace")
        for s in (0, 1)
    ]
    records.append({"dataset": "bbbp", "model": "gin", "seed": 0})
    plot_channel_weights_by_set(records, tmp_path / "channel_weights.png")
    assert (tmp_path / "channel_weights.png").stat().st_size > 0
    assert plot_channel_weights_by_set(records[-1:], tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_encoders_with_different_channels_are_plotted_side_by_side(tmp_path: Path) -> None:
    # a channel ablation's encoder lacks one channel: its groups get bars for its own two
    full = {"molecule": 0.5, "scaffold": 0.2, "context": 0.3}
    ablated = {"scaffold": 0.6, "context": 0.4}
    records = [
        {"dataset": "bace", "model": m, "seed": 0, "channel_weights": [w]}
        for m, w in (("gin+mc", full), ("gin+mc-no_molecule", ablated))
    ]
    assert plot_channel_weights_by_set(records, tmp_path / "both.png") == tmp_path / "both.png"
    assert (tmp_path / "both.png").stat().st_size > 0
    with pytest.raises(ValueError, match="'bace' differ in their channels"):
        plot_channel_weights({"bace": [full, ablated]}, tmp_path / "mixed.png")
