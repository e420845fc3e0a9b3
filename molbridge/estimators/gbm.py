"""Gradient-boosted trees (CatBoost) on a feature matrix, one model per task.

The recipe is the TDC leaderboard's boosted-tree entry's, as its published code sets it
(read, not copied): CatBoost's defaults but `random_strength = 2`, and for regression the MAE
loss on targets standardised on the fit rows (after log10(1 + value) where `log_target` says the
values are log-normal, as clearances and half-lives are); predictions are transformed back to
the user's units. Which regression loss fits a dataset best is chosen on its validation part
where asked (`choose_regression_loss`: the TDC entry's MAE loss cost MoleculeACE's RMSE).
Classification models (log loss) give the probability of class 1. A task
with a single class (or no label) among the fit rows predicts its rate (0.5 when unlabelled).

A fitted model serialises to CatBoost's own binary format (`to_blobs`), so the molbridge bundle
that carries it stays pickle-free; `from_blobs` rebuilds it.

Uncertainty is CatBoost's own (Malinin et al., ICLR 2021). With `virtual_ensembles = K > 1`
each task gets a second model beside the one that predicts, fitted with posterior sampling
(SGLB) and read as K virtual ensembles, truncations of it that approximate samples from its
posterior. For regression that model learns a variance too (`RMSEWithUncertainty`), and the
spread is the total uncertainty: the virtual ensembles' disagreement (knowledge) plus their mean
predicted variance (data noise). Knowledge alone was far too narrow on ESOL (0.006-0.05 log
units against RMSEs of 0.6-1.0, docs/results/using_models.md). For classification the spread is
the standard deviation of the virtual ensembles' probabilities, as for a GIN ensemble. The
predictions stay the plain model's, identical to a model fitted without K.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from catboost import CatBoost, CatBoostClassifier, CatBoostRegressor, Pool

from molbridge.metrics import get_metric

# the regression losses: the recipe's MAE and CatBoost's default RMSE
REGRESSION_LOSSES = ("MAE", "RMSE")
# what a run may ask for: one of them, or `auto` (`choose_regression_loss`); the one list:
# TrainConfig checks against it, the CLI's choice is tested to match it
AUTO_LOSS = "auto"
LOSS_CHOICES = (*REGRESSION_LOSSES, AUTO_LOSS)


@dataclass(frozen=True)
class GBMConfig:
    """What the trees are fitted with (CatBoost's defaults otherwise, as the recipe used).

    Attributes:
        iterations: boosting rounds.
        learning_rate: `None` lets CatBoost choose it from the data size and iterations.
        depth: tree depth.
        threads: CatBoost threads (`None`: all cores).
        virtual_ensembles: K > 1 fits a second, posterior-sampled model per task and reads K
            virtual ensembles of it for the spread (at most `iterations / 2`: each is a
            truncation of the model's second half).
        random_strength: the randomness of the split scores (CatBoost's default is 1; the
            recipe's 2).
        regression_loss: `MAE` (the recipe's) or `RMSE` (CatBoost's default).
    """

    iterations: int = 1000
    learning_rate: float | None = None
    depth: int = 6
    threads: int | None = None
    virtual_ensembles: int = 1
    random_strength: float = 2.0
    regression_loss: str = "MAE"

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.depth < 1:
            raise ValueError(f"iterations and depth must be >= 1, got {self}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.regression_loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"regression_loss must be one of {', '.join(REGRESSION_LOSSES)}, "
                f"got {self.regression_loss!r}"
            )
        if not self.random_strength >= 0:
            raise ValueError(f"random_strength must be >= 0, got {self.random_strength}")
        if not 1 <= self.virtual_ensembles <= max(1, self.iterations // 2):
            raise ValueError(
                f"virtual_ensembles must be between 1 and iterations / 2 ({self.iterations // 2}),"
                f" got {self.virtual_ensembles}"
            )

    def to_config(self) -> dict[str, Any]:
        # virtual_ensembles only when used, so a plain model's config reads as it always did
        skip = {"threads"} | ({"virtual_ensembles"} if self.virtual_ensembles == 1 else set())
        return {k: v for k, v in asdict(self).items() if k not in skip}


@dataclass
class GBMTask:
    """What one task's model needs besides its trees: how to turn its output into units."""

    kind: str  # "trees" or "constant"
    mean: float = 0.0  # regression: the standardised target's mean and std (after the log)
    std: float = 1.0
    log_target: bool = False
    # a log target is log10(value + log_shift): 1 since the recipe's log10(1 + value); bundles
    # written before it was recorded regressed log10(value), which its default keeps reading
    log_shift: float = 0.0
    constant: float = 0.0


@dataclass
class GBMModel:
    """One CatBoost model (or a constant) per task.

    Attributes:
        task_type: `classification` or `regression`.
        tasks: per task, how its output becomes a prediction.
        models: per task, the fitted CatBoost model (`None` for a constant task).
        virtual_ensembles: K > 1: `spread_models` are read as K virtual ensembles.
        spread_models: per task, the posterior-sampled model that gives the spread (`None` for
            a constant task; empty when `virtual_ensembles` is 1).
    """

    task_type: str
    tasks: list[GBMTask]
    models: list[CatBoost | None] = field(default_factory=list)
    virtual_ensembles: int = 1
    spread_models: list[CatBoost | None] = field(default_factory=list)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """`[n, n_tasks]` float64: probabilities (classification) or values in the user's units."""
        out = np.zeros((len(x), len(self.tasks)))
        for j, (task, model) in enumerate(zip(self.tasks, self.models, strict=True)):
            if model is None or len(x) == 0:
                out[:, j] = task.constant
            elif self.task_type == "classification":
                out[:, j] = model.predict(x, prediction_type="Probability")[:, 1]
            else:
                out[:, j] = self._units(task, model.predict(x))
        return out

    def predict_spread(self, x: np.ndarray) -> np.ndarray:
        """`[n, n_tasks]` each prediction's standard deviation in `predict`'s units (see the
        module docstring; a constant task's is 0). A log target's is carried into the user's
        units to first order (ln 10 x (value + shift) x the spread of the log).

        Raises:
            ValueError: the model was fitted without virtual ensembles.
        """
        k = self.virtual_ensembles
        if k == 1:
            raise ValueError("this gbm model was fitted without --ensemble: it has no spread")
        out = np.zeros((len(x), len(self.tasks)))
        if len(x) == 0:
            return out
        for j, (task, model) in enumerate(zip(self.tasks, self.spread_models, strict=True)):
            if model is None:
                continue
            if self.task_type == "classification":
                raw = model.virtual_ensembles_predict(
                    x, prediction_type="VirtEnsembles", virtual_ensembles_count=k
                )[:, :, 0]  # [n, K] log-odds
                out[:, j] = (1.0 / (1.0 + np.exp(-raw))).std(1)
                continue
            total = model.virtual_ensembles_predict(
                x, prediction_type="TotalUncertainty", virtual_ensembles_count=k
            )  # [n, 3]: mean, knowledge (variance of the means), data (mean variance)
            spread = np.sqrt(total[:, 1] + total[:, 2]) * task.std
            if task.log_target:
                value = self._units(task, self.models[j].predict(x))  # type: ignore[union-attr]
                spread = np.log(10.0) * (value + task.log_shift) * spread
            out[:, j] = spread
        return out

    def contributions(self, x: np.ndarray, task: int) -> np.ndarray:
        """`[n, n_features + 1]` SHAP values of task `task` (CatBoost's exact tree SHAP), the
        last column the expected output: each row sums to the model's raw output (log-odds, or
        the standardised target). A constant task's are all zero but the last."""
        model = self.models[task]
        if model is None:
            out = np.zeros((len(x), x.shape[1] + 1))
            out[:, -1] = self.tasks[task].constant
            return out
        return np.asarray(model.get_feature_importance(Pool(x), type="ShapValues"))

    def raw(self, x: np.ndarray, task: int) -> np.ndarray:
        """`[n]` task `task`'s raw output (what `contributions` add up to)."""
        model = self.models[task]
        if model is None:
            return np.full(len(x), self.tasks[task].constant)
        return np.asarray(model.predict(x, prediction_type="RawFormulaVal"))

    @staticmethod
    def _units(task: GBMTask, raw: np.ndarray) -> np.ndarray:
        """A regression model's standardised output in the user's units."""
        values = raw * task.std + task.mean
        return 10.0**values - task.log_shift if task.log_target else values

    def to_blobs(self) -> tuple[dict[str, Any], list[bytes]]:
        """(the per-task facts as JSON-able config, one CatBoost binary blob per task or b'',
        then as many again for the spread models when there are virtual ensembles)."""
        blobs = []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "model.cbm")
            for model in self.models + self.spread_models:
                if model is None:
                    blobs.append(b"")
                    continue
                model.save_model(str(path), format="cbm")  # CatBoost's own binary format
                blobs.append(path.read_bytes())
        config: dict[str, Any] = {
            "task_type": self.task_type,
            "tasks": [asdict(t) for t in self.tasks],
        }
        if self.virtual_ensembles > 1:
            config["virtual_ensembles"] = self.virtual_ensembles
        return config, blobs

    @classmethod
    def from_blobs(cls, config: dict[str, Any], blobs: list[bytes]) -> GBMModel:
        tasks = [GBMTask(**t) for t in config["tasks"]]
        k = int(config.get("virtual_ensembles", 1))
        expected = len(tasks) * (2 if k > 1 else 1)
        if len(blobs) != expected:
            raise ValueError(f"{len(blobs)} tree models for {len(tasks)} tasks ({expected} needed)")
        models: list[CatBoost | None] = []
        for task, blob in zip(tasks * (2 if k > 1 else 1), blobs, strict=True):
            if task.kind == "constant":
                models.append(None)
                continue
            model = CatBoost()
            model.load_model(blob=blob)
            models.append(model)
        n = len(tasks)
        return cls(config["task_type"], tasks, models[:n], k, models[n:])


def fit_gbm(
    x: np.ndarray,
    y: np.ndarray,
    task_type: str,
    seed: int,
    config: GBMConfig | None = None,
    log_target: bool = False,
) -> GBMModel:
    """Fit one model per column of `y` (`[n, n_tasks]`, NaN = missing) on its labelled rows.

    Raises:
        ValueError: `log_target` with a negative target value.
    """
    config = config or GBMConfig()
    params: dict[str, Any] = {
        "iterations": config.iterations,
        "depth": config.depth,
        "random_seed": seed,
        "verbose": 0,
        "allow_writing_files": False,
        "random_strength": config.random_strength,
    }
    if config.learning_rate is not None:
        params["learning_rate"] = config.learning_rate
    if config.threads is not None:
        params["thread_count"] = config.threads
    uncertain = config.virtual_ensembles > 1
    tasks: list[GBMTask] = []
    models: list[CatBoost | None] = []
    spread_models: list[CatBoost | None] = []
    for j in range(y.shape[1]):
        labelled = ~np.isnan(y[:, j])
        target = y[labelled, j]
        if task_type == "classification":
            if len(np.unique(target)) < 2:
                rate = float(target.mean()) if len(target) else 0.5
                tasks.append(GBMTask("constant", constant=rate))
                models.append(None)
                spread_models.extend([None] if uncertain else [])
                continue
            fitted = target.astype(int)
            model: CatBoost = CatBoostClassifier(**params).fit(x[labelled], fitted)
            tasks.append(GBMTask("trees"))
            if uncertain:  # SGLB: the truncations sample the posterior
                spread = CatBoostClassifier(**params, posterior_sampling=True)
                spread_models.append(spread.fit(x[labelled], fitted))
        else:
            if log_target:
                if (target < 0).any():
                    raise ValueError(
                        f"a log target (log10(1 + value)) needs values >= 0; task {j} has "
                        f"{int((target < 0).sum())} below 0"
                    )
                target = np.log10(target + 1.0)
            if len(target) == 0:
                tasks.append(GBMTask("constant", constant=float("nan")))
                models.append(None)
                spread_models.extend([None] if uncertain else [])
                continue
            mean, std = float(target.mean()), float(target.std()) or 1.0
            standardised = (target - mean) / std
            model = CatBoostRegressor(**params, loss_function=config.regression_loss)
            model.fit(x[labelled], standardised)
            shift = 1.0 if log_target else 0.0
            tasks.append(GBMTask("trees", mean, std, log_target, log_shift=shift))
            if uncertain:  # a variance per molecule besides the mean: the data noise
                spread = CatBoostRegressor(
                    **params, loss_function="RMSEWithUncertainty", posterior_sampling=True
                )
                spread_models.append(spread.fit(x[labelled], standardised))
        models.append(model)
    return GBMModel(task_type, tasks, models, config.virtual_ensembles, spread_models)


@dataclass
class LossChoice:
    """The regression loss chosen on validation, each loss's valid score, the chosen model."""

    loss: str
    valid: dict[str, float]
    model: GBMModel  # fitted on the train rows with `loss`


def choose_regression_loss(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    seed: int,
    metric: str,
    config: GBMConfig | None = None,
    log_target: bool = False,
) -> LossChoice:
    """Fit a regression model per loss of `REGRESSION_LOSSES` on train; keep the one better on
    valid by `metric` (the first on a tie or when no score is finite). Test rows never enter."""
    config = config or GBMConfig()
    score, higher = get_metric(metric)
    fits = {
        loss: fit_gbm(
            x_train, y_train, "regression", seed, replace(config, regression_loss=loss), log_target
        )
        for loss in REGRESSION_LOSSES
    }
    valid = {loss: float(score(y_valid, m.predict(x_valid))) for loss, m in fits.items()}
    scored = {loss: v for loss, v in valid.items() if np.isfinite(v)}
    best = (
        (max if higher else min)(scored, key=scored.__getitem__) if scored else REGRESSION_LOSSES[0]
    )
    return LossChoice(best, valid, fits[best])


@dataclass
class GBMFit:
    """A fitted model with the config it was fitted with (the loss as chosen under `auto`)."""

    model: GBMModel
    config: GBMConfig
    fit_rows: int
    loss_on_valid: dict[str, float] | None = None  # each loss's valid score, when chosen

    def record(self) -> dict[str, Any]:
        """What a run records of the fit: its config, and each loss's valid score if chosen."""
        chosen = {} if self.loss_on_valid is None else {"loss_on_valid": self.loss_on_valid}
        return {"gbm": self.config.to_config(), "fit_rows": self.fit_rows, **chosen}


def fit_gbm_on_splits(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    task_type: str,
    seed: int,
    metric: str,
    config: GBMConfig | None = None,
    loss: str = AUTO_LOSS,
    log_target: bool = False,
    refit_on_train_and_valid: bool = False,
) -> GBMFit:
    """Fit on train (or train + valid), the regression loss pinned (`loss`) or, under `auto`,
    chosen on valid (`choose_regression_loss`). The model fitted while choosing is the one
    returned unless the protocol refits on train + valid or the config asks for virtual
    ensembles (the choice fits without them). `loss` is ignored for classification."""
    config = config or GBMConfig()
    model, loss_on_valid = None, None
    if loss == AUTO_LOSS and task_type == "regression":
        choice = choose_regression_loss(
            x_train, y_train, x_valid, y_valid, seed, metric,
            replace(config, virtual_ensembles=1), log_target,
        )  # fmt: skip
        config = replace(config, regression_loss=choice.loss)
        loss_on_valid = choice.valid
        if not refit_on_train_and_valid and config.virtual_ensembles == 1:
            model = choice.model
    elif loss != AUTO_LOSS:
        config = replace(config, regression_loss=loss)
    if refit_on_train_and_valid:
        x_train = np.concatenate([x_train, x_valid])
        y_train = np.concatenate([y_train, y_valid])
    if model is None:
        model = fit_gbm(x_train, y_train, task_type, seed, config, log_target)
    return GBMFit(model, config, len(x_train), loss_on_valid)
