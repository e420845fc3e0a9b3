"""One report from several runs of the same suite: tables and mean ranks over all their models.

A control row is re-run only when the code under it changed (`../shared/EVALUATION.md`), so a
new model's run (e.g. `gbm`) is put beside an earlier run's rows (the GIN, ECFP + RF / SVM) by
reading each run's per-seed values back: from its `cells/` folder when it has one, else from
its `results.json`. Seeds and datasets must match for the ranks to mean anything; the report
says which source each model came from. Cells fine-tuned from a multi-channel encoder also
give `channel_weights.png`, as the benchmark's own run folder has.

Usage:  .venv/bin/python benchmarks/merge_results.py --suite admet --out DIR SOURCE [SOURCE ...]
        (SOURCE: a run folder with cells/, or a results.json; --datasets A B ...: only these
        sets, e.g. the five MoleculeACE sets of the channel ablations beside a 30-set run)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from molbridge.benchmarks.suites import get_suite
from molbridge.report.benchmark import plot_results, records_of, summarize_cells, write_markdown
from molbridge.report.channels import plot_channel_weights_by_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("sources", type=Path, nargs="+")
    parser.add_argument("--datasets", nargs="*", default=None, help="report these sets only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    records: list[dict] = []
    origin: dict[str, str] = {}
    for source in args.sources:
        found = records_of(source)
        if args.datasets:
            found = [r for r in found if r["dataset"] in args.datasets]
        for r in found:
            origin.setdefault(r["model"], str(source))
        records += [r for r in found if origin[r["model"]] == str(source)]
    # the report needs the suite's dataset list only: MoleculeACE's split CSVs go to a throwaway
    # folder, not beside the report (3.9 MB of copies of the package's data)
    with tempfile.TemporaryDirectory() as work:
        suite = get_suite(args.suite, Path(work))
        names = list(dict.fromkeys(r["dataset"] for r in records))
        missing = sorted(set(args.datasets or ()) - set(names))
        if missing:
            raise SystemExit(f"no source has the sets {missing}")
        datasets = suite.select(names)
    models = list(origin)
    summary = summarize_cells(suite, datasets, models, records)
    summary["sources"] = origin
    (args.out / "results.json").write_text(json.dumps(summary, indent=1))
    write_markdown(summary, args.out / "results.md")
    with open(args.out / "results.md", "a") as report:
        report.write("\nSources: " + "; ".join(f"{m}: {s}" for m, s in origin.items()) + "\n")
    plot_results(summary, args.out / "results.png")
    plot_channel_weights_by_set(records, args.out / "channel_weights.png")  # when any has them
    print((args.out / "results.md").read_text())


if __name__ == "__main__":
    main()
