"""`correctness.reference_points`: the entry's reference values are reproduced, each compared as
|actual - expected| <= atol + rtol * |expected| (rtol defaults to the configured 1e-5).

File format (design §4): a JSON list of
`{kind: logpdf | twice_delta_nll, parameters: {name: value} | "init", data: observed | expected,
expected: number | [number], atol, rtol, backend, precision}`; optional `name` (a label) and, for
patchsets, `patch` (the patch to apply; without it the background-only workspace is used).
Vector parameters take a list (`"gamma": [1.0, 1.1]`) or indexed names (`"gamma[0]"`).
`data: expected` is the model's expected data at its initial parameters. `twice_delta_nll` is
-2 ln L(parameters) + 2 ln L(best fit).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pyshepard.registry.engines import EngineError, EngineUnavailable, LoadedModel
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.integrity.jsonguard import read_json
from pyshepard.registry.validation.layout import LocationError
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.reference_points"


class ReferencePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["logpdf", "twice_delta_nll"]
    parameters: dict[str, float | list[float]] | Literal["init"] = "init"
    data: Literal["observed", "expected"] = "observed"
    expected: float | list[float]
    atol: float = Field(default=0.0, ge=0)
    rtol: float | None = Field(default=None, ge=0)
    backend: str = "numpy"
    precision: Literal["64b", "32b"] = "64b"
    patch: str | None = None
    name: str | None = None


POINTS = TypeAdapter(list[ReferencePoint])


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        location = ctx.entry_value("reference_points")
        if not location:
            raise CheckSkipped("the entry has no reference_points file")
        points = _load_points(ctx, str(location))
        evaluator = _Evaluator(ctx)
        results = [evaluator.compare(index, point) for index, point in enumerate(points)]
        failed = [r for r in results if r["status"] == "failed"]
        evaluated = [r for r in results if r["status"] != "skipped"]
        outcome.details = {"points": results, "engine": ctx.engines}
        if failed:
            described = "; ".join(r["message"] for r in failed[:5])
            raise CheckFailed(
                f"{len(failed)} of {len(results)} reference points disagree: {described}",
                outcome.details,
            )
        if not evaluated:
            raise CheckSkipped("no reference point could be evaluated here", outcome.details)
        worst = max((r.get("abs_diff", 0.0) for r in evaluated), default=0.0)
        outcome.message = (
            f"{len(evaluated)}/{len(results)} reference points reproduced (max |diff| {worst:.3g})"
        )


def _load_points(ctx: EntryContext, location: str) -> list[ReferencePoint]:
    try:
        path = ctx.source.resolve(location)
    except LocationError as error:
        raise CheckFailed(str(error)) from error
    try:
        raw, _ = read_json(
            path, max_bytes=ctx.config.max_file_bytes, max_depth=ctx.config.max_json_depth
        )
    except CheckFailed as failure:
        raise CheckFailed(f"reference points file: {failure.message}") from failure
    try:
        points = POINTS.validate_python(raw)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:10]
        ]
        raise CheckFailed("reference points file is malformed: " + "; ".join(problems)) from error
    if not points:
        raise CheckFailed("reference points file is an empty list")
    return points


class _Evaluator:
    def __init__(self, ctx: EntryContext) -> None:
        self.ctx = ctx
        self.models: dict[tuple[str | None, str, str], LoadedModel] = {}

    def model(self, point: ReferencePoint) -> LoadedModel:
        key = (point.patch, point.backend, point.precision)
        if key == (None, "numpy", "64b") and self.ctx.model is not None:
            return self.ctx.model
        if key not in self.models:
            self.models[key] = self._build(point)
        return self.models[key]

    def _build(self, point: ReferencePoint) -> LoadedModel:
        engine = self.ctx.engine
        if engine is None:
            raise EngineError("no engine")
        document = self.ctx.document
        if self.ctx.model_format == "pyhf-patchset":
            document = self.ctx.companions["patch-of"].document
            if point.patch is not None:
                document, problems = self.ctx.patchset.patched(point.patch)
                if problems:
                    raise EngineError(f"patch '{point.patch}': " + "; ".join(problems))
        elif point.patch is not None:
            raise EngineError("'patch' is only meaningful for pyhf-patchset entries")
        return engine.load(document, backend=point.backend, precision=point.precision)

    def compare(self, index: int, point: ReferencePoint) -> dict[str, Any]:
        label = point.name or f"#{index}"
        base: dict[str, Any] = {"index": index, "name": point.name, "kind": point.kind}
        try:
            model = self.model(point)
            values = _expand(model, point.parameters)
            if point.kind == "logpdf":
                actual = model.logpdf(values, data=point.data)
            else:
                actual = model.twice_delta_nll(values, data=point.data)
        except EngineUnavailable as error:
            return base | {"status": "skipped", "message": f"{label}: {error}"}
        except (EngineError, KeyError, ValueError) as error:
            return base | {"status": "failed", "message": f"{label} {point.kind}: {error}"}
        expected = point.expected if isinstance(point.expected, list) else [point.expected]
        rtol = self.ctx.config.default_rtol if point.rtol is None else point.rtol
        if len(expected) != 1:
            return base | {
                "status": "failed",
                "actual": actual,
                "message": f"{label}: expected {len(expected)} values, {point.kind} gives one",
            }
        target = expected[0]
        diff = abs(actual - target)
        tolerance = point.atol + rtol * abs(target)
        ok = math.isfinite(actual) and diff <= tolerance
        message = (
            f"{label} {point.kind}: expected {target!r}, got {actual!r} "
            f"(|diff| {diff:.3g} {'<=' if ok else '>'} tolerance {tolerance:.3g})"
        )
        return base | {
            "status": "passed" if ok else "failed",
            "expected": target,
            "actual": actual,
            "abs_diff": diff,
            "tolerance": tolerance,
            "backend": point.backend,
            "precision": point.precision,
            "message": message,
        }


def _expand(
    model: LoadedModel, parameters: dict[str, float | list[float]] | Literal["init"]
) -> dict[str, float]:
    if parameters == "init":
        return {}
    names = {p.name for p in model.parameters}
    values: dict[str, float] = {}
    for name, value in parameters.items():
        if isinstance(value, list):
            indexed = [f"{name}[{i}]" for i in range(len(value))]
            missing = [n for n in indexed if n not in names]
            if missing or f"{name}[{len(value)}]" in names:
                raise KeyError(f"'{name}' is not a vector parameter of {len(value)} components")
            values.update(zip(indexed, (float(v) for v in value), strict=True))
        else:
            values[name] = float(value)
    return values
