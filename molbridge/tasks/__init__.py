"""Lightning tasks: each receives its encoders by injection."""

from molbridge.tasks.property import PropertyTask, PropertyTaskConfig, masked_loss

__all__ = ["PropertyTask", "PropertyTaskConfig", "masked_loss"]
