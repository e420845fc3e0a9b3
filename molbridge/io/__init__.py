"""Checkpoint bundles."""

from molbridge.io.bundle import (
    Bundle,
    BundlePart,
    CheckpointError,
    load_bundle,
    load_weights,
    save_bundle,
)

__all__ = ["Bundle", "BundlePart", "CheckpointError", "load_bundle", "load_weights", "save_bundle"]
