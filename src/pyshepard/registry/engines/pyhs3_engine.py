"""pyhs3 engine: HS3 files, compiled with pytensor and evaluated at 64-bit.

pyhs3 is an optional dependency (extra `registry`) and pytensor reads its compile directory from
`PYTENSOR_FLAGS` when first imported, so both are imported inside functions; the worker calls
`configure_compile_cache` before anything imports pytensor.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from typing_extensions import override

from pyshepard.registry.engines.base import (
    DataKind,
    Engine,
    EngineError,
    EngineUnavailable,
    FitResult,
    LoadedModel,
    ParameterInfo,
    Precision,
    Yields,
)

MAX_ERRORS = 20
# A finite stand-in for -2 ln L where the density vanishes, so line searches back off (as pyhf's
# SLSQP does at its bounds) instead of stopping on inf.
NON_FINITE_PENALTY = 1e10


def configure_compile_cache(cache_dir: Path) -> Path:
    """Make pytensor compile into `cache_dir/pytensor` (reused across runs)."""
    target = cache_dir / "pytensor"
    if "pytensor" in sys.modules:
        return target
    target.mkdir(parents=True, exist_ok=True)
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "base_compiledir" not in flags:
        os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={target}"]))
    return target


def _pyhs3() -> Any:
    try:
        import pyhs3  # noqa: PLC0415 - optional dependency, see module docstring
    except ImportError as error:
        raise EngineUnavailable(f"pyhs3 is not installed ({error})") from error
    return pyhs3


def _format_validation_error(error: Any) -> list[str]:
    problems = []
    for item in error.errors()[:MAX_ERRORS]:
        location = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{location}: {item.get('msg')}")
    if error.error_count() > MAX_ERRORS:
        problems.append(f"... and {error.error_count() - MAX_ERRORS} more")
    return problems


def _build_workspace(document: Any) -> Any:
    pyhs3 = _pyhs3()
    from pydantic import ValidationError  # noqa: PLC0415 - grouped with the optional import

    if not isinstance(document, dict):
        raise EngineError("an HS3 document is a JSON object")
    try:
        return pyhs3.Workspace(**document)
    except ValidationError as error:
        raise EngineError("; ".join(_format_validation_error(error))) from error
    except Exception as error:  # WorkspaceValidationError and friends name the defect
        raise EngineError(f"{type(error).__name__}: {error}") from error


def _domain_bounds(
    document: Mapping[str, Any], names: Sequence[str] | None
) -> dict[str, tuple[float, float]]:
    bounds: dict[str, tuple[float, float]] = {}
    for domain in document.get("domains") or []:
        if names is not None and domain.get("name") not in names:
            continue
        for axis in domain.get("axes") or []:
            lower = float(axis.get("min", -math.inf))
            upper = float(axis.get("max", math.inf))
            bounds[str(axis["name"])] = (lower, upper)
    return bounds


def _referenced_names(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _referenced_names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in {"name", "type"}:
                yield from _referenced_names(value)


def root_distributions(document: Mapping[str, Any]) -> list[str]:
    """Distributions no other distribution refers to (the top-level pdfs)."""
    distributions = document.get("distributions") or []
    names = [str(d.get("name")) for d in distributions]
    referenced = {ref for d in distributions for ref in _referenced_names(d)}
    return [name for name in names if name not in referenced]


class Pyhs3Model(LoadedModel):
    engine_name = "pyhs3"

    def __init__(
        self, document: Mapping[str, Any], workspace: Any, *, likelihood: str | None
    ) -> None:
        self._document = document
        self._workspace = workspace
        self._requested = likelihood
        self._evaluators: dict[str, tuple[Any, list[str]]] = {}
        self._fits: dict[str, FitResult] = {}
        self.notes: list[str] = []
        self._targets = self._pick_targets()
        self.poi = self._poi()
        self.parameters = self._parameter_infos()

    def _pick_targets(self) -> dict[str, Any]:
        analyses = list(self._workspace.analyses or [])
        likelihoods = list(self._workspace.likelihoods or [])
        candidates = analyses or likelihoods
        if not candidates:
            roots = root_distributions(self._document)
            self.notes.append(
                "no likelihood in the file: the log-density is the sum over the top-level "
                f"distributions {roots} at the parameter point (observables are parameters)"
            )
            return {"observed": roots}
        if self._requested is not None:
            chosen = [c for c in candidates if c.name == self._requested]
            if not chosen:
                raise EngineError(f"no analysis or likelihood named '{self._requested}'")
            return {"observed": chosen[0]}
        asimov = [c for c in candidates if "asimov" in c.name.lower()]
        observed = [c for c in candidates if "asimov" not in c.name.lower()] or candidates
        preferred = [c for c in observed if "obs" in c.name.lower()] or observed
        targets: dict[str, Any] = {"observed": preferred[0]}
        if asimov:
            targets["expected"] = asimov[0]
        return targets

    def _poi(self) -> str | None:
        target = self._targets["observed"]
        pois = getattr(target, "parameters_of_interest", None) or []
        return str(pois[0]) if pois else None

    def _parameter_set(self) -> int | None:
        return 0 if self._workspace.parameter_points else None

    def _point_values(self) -> dict[str, tuple[float, bool]]:
        points = self._document.get("parameter_points") or []
        if not points:
            return {}
        return {
            str(p["name"]): (float(p.get("value", 0.0)), bool(p.get("const", False)))
            for p in points[0].get("parameters", [])
        }

    def _evaluator(self, data: DataKind) -> tuple[Any, list[str]]:
        if data not in self._targets:
            raise EngineError(f"the HS3 file has no {data} dataset (no Asimov likelihood)")
        if data in self._evaluators:
            return self._evaluators[data]
        target = self._targets[data]
        if isinstance(target, list):
            evaluator = self._roots_evaluator(target)
        else:
            evaluator = self._likelihood_evaluator(target)
        self._evaluators[data] = evaluator
        return evaluator

    def _likelihood_evaluator(self, target: Any) -> tuple[Any, list[str]]:
        from pyhs3.compile import function  # noqa: PLC0415
        from pytensor.graph.traversal import explicit_graph_inputs  # noqa: PLC0415

        model = self._workspace.model(target, parameter_set=self._parameter_set(), progress=False)
        log_prob = model.log_prob
        inputs = [v for v in explicit_graph_inputs([log_prob]) if v.name is not None]
        compiled = function(inputs, log_prob, on_unused_input="ignore")
        names = [str(v.name) for v in inputs]

        def evaluate(values: Mapping[str, float]) -> float:
            output = compiled(*[np.asarray(values[name], dtype=np.float64) for name in names])
            return float(np.asarray(output, dtype=np.float64).reshape(-1)[0])

        return evaluate, names

    def _roots_evaluator(self, roots: list[str]) -> tuple[Any, list[str]]:
        model = self._workspace.model(0, parameter_set=self._parameter_set(), progress=False)
        names = sorted({name for root in roots for name in model.pars(root)})

        def evaluate(values: Mapping[str, float]) -> float:
            total = 0.0
            for root in roots:
                arguments = {p: np.asarray(values[p], dtype=np.float64) for p in model.pars(root)}
                total += float(np.asarray(model.logpdf(root, **arguments)).reshape(-1)[0])
            return total

        return evaluate, names

    def _parameter_infos(self) -> list[ParameterInfo]:
        _, names = self._evaluator("observed")
        target = self._targets["observed"]
        domain_names = getattr(target, "domains", None)
        domain_keys = None
        if domain_names:
            domain_keys = [d if isinstance(d, str) else d.name for d in domain_names]
        bounds = _domain_bounds(self._document, domain_keys) or _domain_bounds(self._document, None)
        fallback = _domain_bounds(self._document, None)
        points = self._point_values()
        infos = []
        for name in names:
            lower, upper = bounds.get(name) or fallback.get(name) or (-math.inf, math.inf)
            value, const = points.get(name, (0.0, False))
            infos.append(
                ParameterInfo(
                    name=name,
                    init=min(max(value, lower), upper),
                    lower=lower,
                    upper=upper,
                    fixed=const,
                    poi=name == self.poi,
                )
            )
        return infos

    def logpdf(self, values: Mapping[str, float], *, data: DataKind = "observed") -> float:
        evaluate, _ = self._evaluator(data)
        return float(evaluate(self.complete(values)))

    def fit(self, *, data: DataKind = "observed") -> FitResult:
        if data in self._fits:
            return self._fits[data]
        from scipy.optimize import minimize  # noqa: PLC0415 - scipy arrives with the engines

        free = [p for p in self.parameters if not p.fixed]
        start = self.init_values()

        def objective(x: np.ndarray[Any, Any]) -> float:
            values = start | {p.name: float(v) for p, v in zip(free, x, strict=True)}
            value = -2.0 * self.logpdf(values, data=data)
            return value if math.isfinite(value) else NON_FINITE_PENALTY

        bounds = [
            (None if math.isinf(p.lower) else p.lower, None if math.isinf(p.upper) else p.upper)
            for p in free
        ]
        initial = [p.init for p in free]
        result = minimize(objective, initial, method="SLSQP", bounds=bounds)
        if not result.success:
            result = minimize(objective, initial, method="L-BFGS-B", bounds=bounds)
        values = start | {p.name: float(v) for p, v in zip(free, result.x, strict=True)}
        outcome = FitResult(
            converged=bool(result.success) and math.isfinite(float(result.fun)),
            twice_nll=float(result.fun),
            values=values,
            message=str(result.message),
            iterations=int(result.nit),
        )
        self._fits[data] = outcome
        return outcome

    @override
    def expected_totals(self, points: Sequence[Mapping[str, float]]) -> list[list[float]] | None:
        return None

    @override
    def yields(self) -> Yields | None:
        channels = [
            d
            for d in self._document.get("distributions") or []
            if d.get("type") == "histfactory_dist"
        ]
        if not channels:
            return None
        by_sample = {
            str(channel["name"]): {
                str(sample["name"]): [float(x) for x in sample.get("data", {}).get("contents", [])]
                for sample in channel.get("samples", [])
            }
            for channel in channels
        }
        return Yields(by_sample=by_sample, observed=self._observed_counts())

    def _observed_counts(self) -> dict[str, list[float]]:
        target = self._targets["observed"]
        likelihood = getattr(target, "likelihood", target)
        if isinstance(likelihood, list) or likelihood is None:
            return {}
        observed: dict[str, list[float]] = {}
        for dist, datum in zip(likelihood.distributions, likelihood.data, strict=False):
            contents = getattr(datum, "contents", None)
            name = dist if isinstance(dist, str) else dist.name
            if contents is not None:
                observed[str(name)] = [float(x) for x in contents]
        return observed

    def describe(self) -> dict[str, Any]:
        target = self._targets["observed"]
        return {
            "likelihood": target if isinstance(target, list) else target.name,
            "notes": self.notes,
        }


class Pyhs3Engine(Engine):
    name = "pyhs3"

    def version(self) -> str:
        return str(_pyhs3().__version__)

    @override
    def schema_problems(self, document: Any, model_format: str) -> list[str]:
        try:
            _build_workspace(document)
        except EngineError as error:
            return [f"HS3 (pyhs3 {self.version()}): {error}"]
        return []

    def load(
        self,
        document: Any,
        *,
        precision: Precision = "64b",
        backend: str = "numpy",
        likelihood: str | None = None,
    ) -> Pyhs3Model:
        if precision != "64b" or backend not in {"numpy", "pytensor"}:
            raise EngineUnavailable("pyhs3 is evaluated with pytensor at 64-bit only")
        workspace = _build_workspace(document)
        try:
            return Pyhs3Model(document, workspace, likelihood=likelihood)
        except EngineError:
            raise
        except Exception as error:  # pyhs3/pytensor raise many types while building graphs
            raise EngineError(
                f"pyhs3 cannot build the model: {type(error).__name__}: {error}"
            ) from error
