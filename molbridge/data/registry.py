"""Bundled datasets by name: file(s), SMILES column, targets, task type and metric.

The files live in `molbridge/data/bundled/` (provenance in its `SOURCES.md`) and are checked
against `SHA256SUMS` every time they are opened.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BUNDLED_DIR = Path(__file__).parent / "bundled"


class DataIntegrityError(RuntimeError):
    """A bundled file does not match its recorded sha256."""


@dataclass(frozen=True)
class DatasetSpec:
    """What a bundled dataset is.

    Attributes:
        name: registry name (`bbbp`, `caco2_wang`, ...).
        train: path of the training file (relative to the bundled folder).
        test: path of a fixed test file, or `None` when the split is made from `train`.
        smiles_column: the column holding SMILES.
        target_columns: the label columns; `None` means every column but the SMILES.
        task: `"classification"` or `"regression"`.
        metric: the official metric (`roc_auc`, `rmse`, `mae`, `spearman`, `auprc`).
        on_invalid: how its loader treats SMILES RDKit cannot parse (see SOURCES.md).
        split: the protocol's split (`scaffold`: Hu et al.; `tdc-scaffold`: TDC's, seeded).
        log_target: values are log-normal; the fixed-feature models (`gbm`, `probe`) regress
            a log of them (gbm log10(1 + value), the probe log10(value)) and transform
            predictions back.
    """

    name: str
    train: str
    test: str | None
    smiles_column: str
    target_columns: tuple[str, ...] | None
    task: str
    metric: str
    on_invalid: str = "raise"
    split: str = "scaffold"
    log_target: bool = False

    @property
    def train_path(self) -> Path:
        return verified_path(self.train)

    @property
    def test_path(self) -> Path | None:
        return None if self.test is None else verified_path(self.test)


def _moleculenet(
    name: str,
    file: str,
    smiles: str,
    targets: tuple[str, ...] | None,
    task: str,
    metric: str,
    on_invalid: str = "raise",
) -> DatasetSpec:
    return DatasetSpec(name, f"moleculenet/{file}", None, smiles, targets, task, metric, on_invalid)


_MOLECULENET = [
    _moleculenet("bbbp", "bbbp.csv", "smiles", ("p_np",), "classification", "roc_auc"),
    _moleculenet("bace", "bace.csv", "mol", ("Class",), "classification", "roc_auc"),
    _moleculenet("clintox", "clintox.csv", "smiles", None, "classification", "roc_auc"),
    _moleculenet("tox21", "tox21.csv", "smiles", None, "classification", "roc_auc", "skip"),
    _moleculenet("toxcast", "toxcast.csv.gz", "smiles", None, "classification", "roc_auc"),
    _moleculenet("sider", "sider.csv", "smiles", None, "classification", "roc_auc"),
    _moleculenet("muv", "muv.csv.gz", "smiles", None, "classification", "roc_auc"),
    _moleculenet(
        "hiv", "hiv.csv.gz", "smiles", ("HIV_active",), "classification", "roc_auc", "skip"
    ),
    _moleculenet("esol", "delaney.csv", "smiles", ("logp",), "regression", "rmse"),
    _moleculenet("freesolv", "freesolv.csv", "smiles", ("freesolv",), "regression", "rmse"),
    _moleculenet("lipo", "lipo.csv", "smiles", ("lipo",), "regression", "rmse"),
]

# TDC ADMET group: metric per dataset from TDC's `admet_metrics`.
_ADMET_METRICS = {
    "caco2_wang": "mae",
    "hia_hou": "roc_auc",
    "pgp_broccatelli": "roc_auc",
    "bioavailability_ma": "roc_auc",
    "lipophilicity_astrazeneca": "mae",
    "solubility_aqsoldb": "mae",
    "bbb_martins": "roc_auc",
    "ppbr_az": "mae",
    "vdss_lombardo": "spearman",
    "cyp2c9_veith": "auprc",
    "cyp2d6_veith": "auprc",
    "cyp3a4_veith": "auprc",
    "cyp2c9_substrate_carbonmangels": "auprc",
    "cyp2d6_substrate_carbonmangels": "auprc",
    "cyp3a4_substrate_carbonmangels": "roc_auc",
    "half_life_obach": "spearman",
    "clearance_hepatocyte_az": "spearman",
    "clearance_microsome_az": "spearman",
    "ld50_zhu": "mae",
    "herg": "roc_auc",
    "ames": "roc_auc",
    "dili": "roc_auc",
}
# Test rows RDKit refuses: solubility_aqsoldb's test.csv rows 1159 and 1160 (a pyridine N-oxide
# written `[NH+2]([O-])[CH-]`, valence 4 on N). They are skipped and listed in
# `skipped_rows.csv`, so that set is scored on 1,995 of its 1,997 test molecules.
_ADMET_INVALID = {"solubility_aqsoldb": "skip"}
# Sets whose values span orders of magnitude (log-normal): models on fixed features regress a log
# of them, as the leaderboard's boosted-tree entry does (gbm: log10(1 + value), the entry's own;
# the probe: log10(value)); all their values are > 0.
_ADMET_LOG = {
    "vdss_lombardo",
    "half_life_obach",
    "clearance_hepatocyte_az",
    "clearance_microsome_az",
}
_ADMET = [
    DatasetSpec(
        name,
        f"admet_group/{name}/train_val.csv",
        f"admet_group/{name}/test.csv",
        "Drug",
        ("Y",),
        "classification" if metric in ("roc_auc", "auprc") else "regression",
        metric,
        on_invalid=_ADMET_INVALID.get(name, "raise"),
        split="tdc-scaffold",
        log_target=name in _ADMET_LOG,
    )
    for name, metric in _ADMET_METRICS.items()
]

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in _MOLECULENET + _ADMET}
MOLECULENET = tuple(spec.name for spec in _MOLECULENET)
ADMET_GROUP = tuple(spec.name for spec in _ADMET)


def get_dataset(name: str) -> DatasetSpec:
    """The spec of a bundled dataset; an unknown name raises with the list of valid ones."""
    key = name.lower()
    if key not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; bundled datasets: {', '.join(sorted(DATASETS))}")
    return DATASETS[key]


@cache
def _recorded_sums() -> dict[str, str]:
    sums = {}
    for line in (BUNDLED_DIR / "SHA256SUMS").read_text().splitlines():
        digest, relpath = line.split(maxsplit=1)
        sums[relpath] = digest
    return sums


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_path(relpath: str) -> Path:
    """Absolute path of a bundled file after checking its sha256 against `SHA256SUMS`."""
    path = BUNDLED_DIR / relpath
    expected = _recorded_sums().get(relpath)
    if expected is None:
        raise DataIntegrityError(f"{relpath} is not listed in {BUNDLED_DIR / 'SHA256SUMS'}")
    actual = file_sha256(path)
    if actual != expected:
        raise DataIntegrityError(
            f"{path} has sha256 {actual}, expected {expected}: the bundled file was changed"
        )
    return path
