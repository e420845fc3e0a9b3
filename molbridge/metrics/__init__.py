"""Named metrics."""

from molbridge.metrics.named import METRICS, TASK_METRICS, get_metric

__all__ = ["METRICS", "TASK_METRICS", "get_metric"]
