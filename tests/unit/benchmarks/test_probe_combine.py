"""A panel combined from an earlier panel's rows (controls that are not run again)."""

import json
from pathlib import Path

import pytest

from molbridge.benchmarks.probe import combine_panels

EARLIER = Path(__file__).parents[3] / "docs" / "results" / "probe"


def test_rows_read_back_from_an_earlier_panel_keep_their_values(tmp_path: Path) -> None:
    panel = combine_panels({"random": EARLIER, "context-pred": EARLIER}, tmp_path)
    assert [row["encoder"] for row in panel["encoders"]] == ["random", "context-pred"]
    # a report, not a copy of the package's data: no MoleculeACE split CSVs beside it
    assert not list(tmp_path.rglob("*.csv"))
    for suite in ("moleculenet", "admet", "moleculeace"):
        before = json.loads((EARLIER / suite / "results.json").read_text())
        after = json.loads((tmp_path / suite / "results.json").read_text())
        assert after["models"] == ["probe+random", "probe+context-pred"]
        for old, new in zip(before["datasets"], after["datasets"], strict=True):
            assert old["name"] == new["name"]
            for model in after["models"]:
                for metric in old["metrics"]:
                    assert new["results"][model][metric]["values"] == pytest.approx(
                        old["results"][model][metric]["values"]
                    )
    earlier = json.loads((EARLIER / "probe.json").read_text())
    walls = {row["encoder"]: row["wall_seconds"] for row in earlier["encoders"]}
    assert {row["encoder"]: row["wall_seconds"] for row in panel["encoders"]} == {
        label: walls[label] for label in ("random", "context-pred")
    }


def test_a_run_resumed_over_kept_cells_is_timed_by_its_cells(tmp_path: Path) -> None:
    # a probe run resumed after all its cells were kept took seconds; its cells took minutes
    resumed = tmp_path / "resumed"
    for suite in ("moleculenet", "admet", "moleculeace"):
        (resumed / suite).mkdir(parents=True)
        kept_cells = (EARLIER / suite / "results.json").read_text()
        (resumed / suite / "results.json").write_text(kept_cells)
    earlier = json.loads((EARLIER / "probe.json").read_text())
    (resumed / "probe.json").write_text(json.dumps({"encoders": [], "wall_seconds": 3.5}))
    panel = combine_panels({"random": EARLIER, "context-pred": resumed}, tmp_path / "out")
    row = {r["encoder"]: r for r in panel["encoders"]}["context-pred"]
    kept = {r["encoder"]: r for r in earlier["encoders"]}["context-pred"]
    assert row["wall_seconds"] is None
    assert row["seconds"] == pytest.approx(kept["seconds"])
    table = (tmp_path / "out" / "probe.md").read_text()
    minutes = table.split("| context-pred |")[1].split("\n")[0]
    assert minutes.rstrip(" |").endswith(f"{kept['seconds'] / 60:.1f}")
