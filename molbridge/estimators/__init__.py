"""Models fitted on fixed feature matrices: boosted trees (`gbm`) and the linear probe (`probe`)."""

from molbridge.estimators.gbm import (
    GBMConfig,
    GBMFit,
    GBMModel,
    choose_regression_loss,
    fit_gbm,
    fit_gbm_on_splits,
)
from molbridge.estimators.probe import ProbeResult, fit_probe

__all__ = [
    "GBMConfig",
    "GBMFit",
    "GBMModel",
    "ProbeResult",
    "choose_regression_loss",
    "fit_gbm",
    "fit_gbm_on_splits",
    "fit_probe",
]
