"""Benchmark suites (MoleculeNet, TDC ADMET group, MoleculeACE) with baselines side by side."""

from molbridge.benchmarks.runner import BenchmarkOptions, init_models, run_benchmark
from molbridge.benchmarks.suites import SUITES, get_suite

__all__ = ["SUITES", "BenchmarkOptions", "get_suite", "init_models", "run_benchmark"]
