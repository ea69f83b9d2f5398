"""What the pipeline needs from an inference engine, independent of pyhf or pyhs3."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

DataKind = Literal["observed", "expected"]
Precision = Literal["64b", "32b"]


class EngineUnavailable(RuntimeError):
    """The engine's library is not installed (or cannot be imported)."""


class EngineError(RuntimeError):
    """The engine could not load or evaluate the model; the message names the defect."""


@dataclass(frozen=True)
class ParameterInfo:
    """One scalar parameter; vector parameter sets are flattened as `name[i]` (pyhf's style)."""

    name: str
    init: float
    lower: float
    upper: float
    width: float | None = None
    fixed: bool = False
    poi: bool = False
    kind: str = ""

    def sigma(self) -> float:
        """The constraint width if constrained, else 10% of the bound range (1.0 if unbounded)."""
        if self.width is not None and self.width > 0:
            return self.width
        span = self.upper - self.lower
        return 0.1 * span if 0 < span < float("inf") else 1.0

    def shifted(self, direction: int) -> float:
        return min(max(self.init + direction * self.sigma(), self.lower), self.upper)


@dataclass
class FitResult:
    converged: bool
    twice_nll: float
    values: dict[str, float]
    message: str = ""
    iterations: int | None = None


@dataclass
class Yields:
    """Expected event counts per channel: `{channel: {sample: [per-bin]}}` plus observed data."""

    by_sample: dict[str, dict[str, list[float]]]
    observed: dict[str, list[float]] = field(default_factory=dict)


class LoadedModel(ABC):
    """A model built by an engine, evaluated by flat parameter name."""

    engine_name: str
    parameters: list[ParameterInfo]
    poi: str | None

    def parameter(self, name: str) -> ParameterInfo:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def init_values(self) -> dict[str, float]:
        return {parameter.name: parameter.init for parameter in self.parameters}

    def complete(self, values: Mapping[str, float]) -> dict[str, float]:
        """Fill unspecified parameters with their initial values; reject unknown names."""
        known = self.init_values()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise EngineError(f"unknown parameter(s) {unknown}; the model has {sorted(known)}")
        return known | dict(values)

    @abstractmethod
    def logpdf(self, values: Mapping[str, float], *, data: DataKind = "observed") -> float: ...

    def logpdf_many(
        self, points: Sequence[Mapping[str, float]], *, data: DataKind = "observed"
    ) -> list[float]:
        return [self.logpdf(point, data=data) for point in points]

    @abstractmethod
    def fit(self, *, data: DataKind = "observed") -> FitResult: ...

    def twice_delta_nll(self, values: Mapping[str, float], *, data: DataKind = "observed") -> float:
        """-2 ln L(values) + 2 ln L(best fit): the profile-free likelihood-ratio statistic."""
        best = self.fit(data=data)
        if not best.converged:
            raise EngineError(f"maximum-likelihood fit did not converge: {best.message}")
        return -2.0 * self.logpdf(values, data=data) - best.twice_nll

    def evaluate_points(
        self, points: Sequence[Mapping[str, float]]
    ) -> tuple[list[float], list[list[float]] | None]:
        """log L(observed) and the total expected yields per bin at each point, in one pass
        where the engine can share the work."""
        return self.logpdf_many(points), self.expected_totals(points)

    @abstractmethod
    def expected_totals(self, points: Sequence[Mapping[str, float]]) -> list[list[float]] | None:
        """Total expected main-measurement yield per bin at each point; None if not binned."""

    def yields(self) -> Yields | None:
        """Pre-fit yields at the initial parameters, for plots; None if not binned."""
        return None

    def describe(self) -> dict[str, Any]:
        return {}


class Engine(ABC):
    name: str

    @abstractmethod
    def version(self) -> str:
        """The engine library's version; raises EngineUnavailable when it is not installed."""

    @abstractmethod
    def schema_problems(self, document: Any, model_format: str) -> list[str]:
        """Everything wrong with the document per the engine's own schema; empty when valid."""

    @abstractmethod
    def load(
        self, document: Any, *, precision: Precision = "64b", backend: str = "numpy"
    ) -> LoadedModel:
        """Build the model; raises EngineError naming the defect."""
