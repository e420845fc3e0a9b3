"""Published numbers printed beside ours, each with its source and whether it was checked.

From the project's `ANCHORS.md`: "checked" numbers were read in their source or reproduced;
"recalled" ones are from the papers and were not re-read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    """One published system's numbers on a suite (metric units as in our reports)."""

    system: str
    source: str
    status: str  # "checked" or "recalled"
    values: dict[str, float]


_HU = "Hu et al. 2020, Table 1"
MOLECULENET = (
    Anchor(
        "GIN, no pre-training",
        _HU,
        "recalled",
        {
            "bbbp": 65.8,
            "tox21": 74.0,
            "toxcast": 63.4,
            "sider": 57.3,
            "clintox": 58.0,
            "muv": 71.8,
            "hiv": 75.3,
            "bace": 70.1,
        },
    ),
    Anchor(
        "GIN, ContextPred + supervised",
        _HU,
        "recalled",
        {
            "bbbp": 68.7,
            "tox21": 78.1,
            "toxcast": 65.7,
            "sider": 62.7,
            "clintox": 72.6,
            "muv": 81.3,
            "hiv": 79.9,
            "bace": 84.5,
        },
    ),
    Anchor(
        "GraphMVP-C",
        "Liu et al. 2022",
        "recalled",
        {
            "bbbp": 72.4,
            "tox21": 74.4,
            "toxcast": 63.1,
            "sider": 63.9,
            "clintox": 77.5,
            "muv": 75.0,
            "hiv": 77.0,
            "bace": 81.2,
        },
    ),
    Anchor(
        "Mole-BERT",
        "Xia et al. 2023",
        "recalled",
        {
            "bbbp": 71.9,
            "tox21": 76.8,
            "toxcast": 64.3,
            "sider": 62.8,
            "clintox": 78.9,
            "muv": 78.6,
            "hiv": 78.2,
            "bace": 80.8,
        },
    ),
)

ADMET = (
    Anchor(
        "TDC leaderboard #1",
        "TDC ADMET group leaderboard, March 2025",
        "checked",
        {
            "caco2_wang": 0.276,
            "hia_hou": 0.990,
            "pgp_broccatelli": 0.938,
            "bioavailability_ma": 0.753,
            "lipophilicity_astrazeneca": 0.460,
            "solubility_aqsoldb": 0.725,
            "bbb_martins": 0.920,
            "ppbr_az": 7.505,
            "vdss_lombardo": 0.713,
            "cyp2d6_veith": 0.790,
            "cyp3a4_veith": 0.916,
            "cyp2c9_veith": 0.859,
            "cyp2d6_substrate_carbonmangels": 0.739,
            "cyp3a4_substrate_carbonmangels": 0.667,
            "cyp2c9_substrate_carbonmangels": 0.441,
            "half_life_obach": 0.576,
            "clearance_hepatocyte_az": 0.536,
            "clearance_microsome_az": 0.630,
            "ld50_zhu": 0.541,
            "herg": 0.880,
            "ames": 0.871,
            "dili": 0.925,
        },
    ),
    Anchor(
        "GBM, count FPs + descriptors",
        "TDC ADMET group leaderboard, the MapLight entry (CatBoost on ECFP4 and Avalon counts, "
        "ErG, RDKit descriptors)",
        "checked",
        {
            "caco2_wang": 0.276,
            "bioavailability_ma": 0.730,
            "lipophilicity_astrazeneca": 0.539,
            "solubility_aqsoldb": 0.792,
            "hia_hou": 0.986,
            "pgp_broccatelli": 0.930,
            "bbb_martins": 0.916,
            "ppbr_az": 7.660,
            "vdss_lombardo": 0.707,
            "cyp2c9_veith": 0.783,
            "cyp2d6_veith": 0.723,
            "cyp3a4_veith": 0.881,
            "cyp2c9_substrate_carbonmangels": 0.415,
            "cyp2d6_substrate_carbonmangels": 0.713,
            "cyp3a4_substrate_carbonmangels": 0.650,
            "half_life_obach": 0.562,
            "clearance_hepatocyte_az": 0.466,
            "clearance_microsome_az": 0.626,
            "ld50_zhu": 0.621,
            "herg": 0.871,
            "ames": 0.868,
            "dili": 0.887,
        },
    ),
    Anchor(
        "Chemprop-RDKit",
        "TDC ADMET group leaderboard",
        "checked",
        {"caco2_wang": 0.330, "lipophilicity_astrazeneca": 0.467, "solubility_aqsoldb": 0.761},
    ),
)

# MoleculeACE: means over the 30 sets (RMSE, RMSE on cliff molecules).
MOLECULEACE = (
    Anchor(
        "ECFP + SVM", "MoleculeACE results file", "checked", {"rmse": 0.671, "rmse_cliff": 0.751}
    ),
    Anchor(
        "ECFP + GBM", "MoleculeACE results file", "checked", {"rmse": 0.695, "rmse_cliff": 0.783}
    ),
    Anchor(
        "ECFP + RF", "MoleculeACE results file", "checked", {"rmse": 0.700, "rmse_cliff": 0.786}
    ),
    Anchor(
        "LSTM on SMILES (best deep)",
        "MoleculeACE results file",
        "checked",
        {"rmse": 0.742, "rmse_cliff": 0.871},
    ),
    Anchor(
        "GCN (best GNN)",
        "MoleculeACE results file",
        "checked",
        {"rmse": 0.914, "rmse_cliff": 0.974},
    ),
)

ANCHORS = {"moleculenet": MOLECULENET, "admet": ADMET, "moleculeace": MOLECULEACE}
