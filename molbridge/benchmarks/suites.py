"""The benchmark suites: which datasets, which split protocol, which seeds, which metrics.

- `moleculenet`: Hu et al. 2020's deterministic scaffold split 80/10/10; ROC-AUC or RMSE;
  seeds 0..N-1 (the split is the same for every seed; the seed moves the model).
- `admet`: the TDC ADMET group; the fixed test file, train/valid from `train_val.csv` by TDC's
  scaffold split with seeds 1..N (N = 5 for the leaderboard); each dataset's official metric.
- `moleculeace`: the 30 MoleculeACE sets with their packaged train/test split; RMSE over all
  test molecules and over the activity-cliff ones (`cliff_mol == 1`). The GIN's validation part
  (for choosing its epoch) is a seeded random 1/8 of the train molecules; the published
  baselines are fitted on the whole train part with the package's own settings.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from molbridge.data.registry import ADMET_GROUP, MOLECULENET, get_dataset

MOLECULEACE_VERSION = "3.0.0"


@dataclass(frozen=True)
class BenchmarkDataset:
    """One dataset of a suite.

    Attributes:
        name: the name results are reported under.
        task: `classification` or `regression`.
        metric: the headline metric (selects the GIN's epoch; SVM's C).
        extra_metrics: further test metrics reported (e.g. `rmse_cliff`).
        data: a bundled dataset name or a CSV path (`molbridge train --data`).
        test: a fixed test CSV, if the protocol has one outside `data`.
        split: the split protocol (`molbridge train --split`).
        target_columns, smiles_column: for CSV paths.
        cliff_file: MoleculeACE's test file with its `cliff_mol` column.
        log_target: the fixed-feature models regress log10 of the values (see the registry).
        baseline_params: published per-dataset settings of the baselines (MoleculeACE).
    """

    name: str
    task: str
    metric: str
    data: str
    split: str
    test: str | None = None
    extra_metrics: tuple[str, ...] = ()
    target_columns: tuple[str, ...] | None = None
    smiles_column: str | None = None
    cliff_file: str | None = None
    log_target: bool = False
    baseline_params: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A named list of datasets with its seed convention.

    Attributes:
        name: `moleculenet`, `admet` or `moleculeace`.
        datasets: every dataset of the suite.
        first_seed: seeds are `first_seed .. first_seed + n - 1`.
        default_seeds: `n` when `--seeds` is not given.
        protocol: one paragraph for the report.
        train_file_is_train: the protocol's training data is the whole train file (TDC's
            train_val, MoleculeACE's train), so models that choose nothing on validation (`gbm`)
            are fitted on train + valid; otherwise (MoleculeNet) on train alone.
        gbm_loss: the boosted trees' regression loss: `auto` chooses MAE or RMSE on valid
            (`estimators.gbm.choose_regression_loss`); TDC keeps the leaderboard entry's MAE,
            the recipe it reproduces.
    """

    name: str
    datasets: tuple[BenchmarkDataset, ...]
    first_seed: int
    default_seeds: int
    protocol: str
    train_file_is_train: bool = False
    gbm_loss: str = "auto"

    def seeds(self, n: int | None) -> list[int]:
        count = self.default_seeds if n is None else n
        if count < 1:
            raise ValueError("--seeds must be at least 1")
        return list(range(self.first_seed, self.first_seed + count))

    def select(self, names: list[str] | None) -> tuple[BenchmarkDataset, ...]:
        """The datasets named (all when `None`), in the suite's order; unknown names raise."""
        if not names:
            return self.datasets
        known = {d.name.lower(): d for d in self.datasets}
        unknown = [n for n in names if n.lower() not in known]
        if unknown:
            raise ValueError(f"{self.name} has no dataset {unknown}; valid: {', '.join(known)}")
        wanted = {n.lower() for n in names}
        return tuple(d for d in self.datasets if d.name.lower() in wanted)


def _bundled(name: str, split: str) -> BenchmarkDataset:
    spec = get_dataset(name)
    return BenchmarkDataset(
        name, spec.task, spec.metric, data=name, split=split, log_target=spec.log_target
    )


def moleculenet() -> Suite:
    return Suite(
        "moleculenet",
        tuple(_bundled(name, "scaffold") for name in MOLECULENET),
        first_seed=0,
        default_seeds=3,
        protocol=(
            "MoleculeNet, deterministic Bemis–Murcko scaffold split 80/10/10 (Hu et al. 2020); "
            "test metric at the best-validation epoch; ROC-AUC averaged over tasks with both "
            "classes, RMSE for regression."
        ),
    )


def admet() -> Suite:
    return Suite(
        "admet",
        tuple(_bundled(name, "tdc-scaffold") for name in ADMET_GROUP),
        first_seed=1,
        default_seeds=5,
        protocol=(
            "TDC ADMET benchmark group: fixed test set; train/valid from train_val.csv by TDC's "
            "scaffold split (7/8 : 1/8) with seeds 1–5, identical to PyTDC's "
            "get_train_valid_split; each dataset's official metric."
        ),
        train_file_is_train=True,
        gbm_loss="MAE",
    )


def moleculeace_root() -> Path:
    """The MoleculeACE package folder (its data only; the package is never imported)."""
    spec = importlib.util.find_spec("MoleculeACE")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"MoleculeACE's data is not installed: pip install --no-deps "
            f"moleculeace=={MOLECULEACE_VERSION}"
        )
    version = importlib.metadata.version("MoleculeACE")
    if version != MOLECULEACE_VERSION:
        raise RuntimeError(
            f"MoleculeACE {version} is installed; the protocol needs {MOLECULEACE_VERSION}"
        )
    return Path(spec.submodule_search_locations[0])


def moleculeace(work_dir: Path) -> Suite:
    """The 30 sets; their train and test parts are written to `work_dir` as plain CSVs."""
    root = moleculeace_root()
    files = sorted((root / "Data" / "benchmark_data").glob("CHEMBL*.csv"))
    work_dir.mkdir(parents=True, exist_ok=True)
    datasets = []
    for path in files:
        name = path.stem
        frame = pd.read_csv(path)
        parts = {}
        for part in ("train", "test"):
            out = work_dir / f"{name}_{part}.csv"
            if not out.exists():
                frame.loc[frame["split"] == part, ["smiles", "y", "cliff_mol"]].to_csv(
                    out, index=False
                )
            parts[part] = out
        configs = root / "Data" / "configures" / "benchmark" / name
        params = {
            model: yaml.safe_load((configs / f"{model}_ECFP.yml").read_text())
            for model in ("SVM", "RF")
        }
        datasets.append(
            BenchmarkDataset(
                name,
                "regression",
                "rmse",
                data=str(parts["train"]),
                test=str(parts["test"]),
                split="random",
                extra_metrics=("rmse_cliff",),
                target_columns=("y",),
                smiles_column="smiles",
                cliff_file=str(parts["test"]),
                baseline_params=params,
            )
        )
    return Suite(
        "moleculeace",
        tuple(datasets),
        first_seed=0,
        default_seeds=1,
        protocol=(
            f"MoleculeACE {MOLECULEACE_VERSION}: 30 ChEMBL sets, packaged train/test split; RMSE "
            "on all test molecules and on activity-cliff molecules (cliff_mol = 1). The GIN "
            "chooses its epoch on a seeded random 1/8 of train; the ECFP baselines use the "
            "package's per-set settings (ECFP radius 2, 1024 bits) and the whole train part."
        ),
        train_file_is_train=True,
    )


SUITES = ("moleculenet", "admet", "moleculeace")


def get_suite(name: str, work_dir: Path) -> Suite:
    if name == "moleculenet":
        return moleculenet()
    if name == "admet":
        return admet()
    if name == "moleculeace":
        return moleculeace(work_dir / "data" / "moleculeace")
    raise ValueError(f"unknown benchmark {name!r}; valid: {', '.join(SUITES)}")
