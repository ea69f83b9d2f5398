"""Parameter points shared by the stability and cross-engine checks."""

from __future__ import annotations

from dataclasses import dataclass

from pyshepard.registry.engines import LoadedModel, ParameterInfo


@dataclass(frozen=True)
class ShiftPoint:
    label: str
    values: dict[str, float]


def shift_points(model: LoadedModel, *, limit: int | None = None) -> list[ShiftPoint]:
    """The initial point, then each free parameter at -1 and +1 sigma (clipped into bounds)."""
    points = [ShiftPoint("init", {})]
    for parameter in free_parameters(model):
        for direction, sign in ((-1, "-"), (1, "+")):
            value = parameter.shifted(direction)
            points.append(ShiftPoint(f"{parameter.name} {sign}1 sigma", {parameter.name: value}))
    return points if limit is None else points[:limit]


def free_parameters(model: LoadedModel) -> list[ParameterInfo]:
    return [parameter for parameter in model.parameters if not parameter.fixed]


def relative_difference(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale
