"""Models fitted on fixed feature matrices: boosted trees (`gbm`) and the linear probe (`probe`)."""

from molbridge.estimators.gbm import GBMConfig, GBMModel, choose_regression_loss, fit_gbm
from molbridge.estimators.probe import ProbeResult, fit_probe

__all__ = [
    "GBMConfig",
    "GBMModel",
    "ProbeResult",
    "choose_regression_loss",
    "fit_gbm",
    "fit_probe",
]
