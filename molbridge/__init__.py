"""molbridge: multimodal pre-training for molecular graph encoders, and one fine-tuning pipeline."""

__version__ = "0.1.0"
