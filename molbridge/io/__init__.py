"""Checkpoint bundles."""

from molbridge.io.bundle import Bundle, CheckpointError, load_bundle, load_weights, save_bundle

__all__ = ["Bundle", "CheckpointError", "load_bundle", "load_weights", "save_bundle"]
