"""Models fitted on fixed feature matrices: boosted trees (`gbm`) and the linear probe (`probe`)."""

from molbridge.estimators.gbm import GBMConfig, GBMModel, fit_gbm
from molbridge.estimators.probe import ProbeResult, fit_probe

__all__ = ["GBMConfig", "GBMModel", "ProbeResult", "fit_gbm", "fit_probe"]
