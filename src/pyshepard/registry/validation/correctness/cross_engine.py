"""`correctness.cross_engine`: when the entry links an HS3 twin (`hs3-twin`), pyhf (numpy, 64-bit)
and pyhs3 agree on the log-likelihood of the observed data at the initial point and ±1 sigma shifts;
reported with the largest relative difference (the best-fit -2 ln L of both is reported too).

Parameter names differ between the two (ROOT's HS3 export): pyhf `name[i]` is `name_i`, a
normsys/histosys `name` is `alpha_name`, a staterror `staterror_ch[i]` is `gamma_stat_ch_bin_i`,
`lumi` may be `Lumi`; the link's `parameter_map` {pyhf name: HS3 name} overrides the rules. HS3
parameters with no pyhf counterpart stay at their parameter-point values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pyshepard.registry.engines import LoadedModel
from pyshepard.registry.engines.pyhs3_engine import Pyhs3Engine
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.correctness.points import relative_difference, shift_points
from pyshepard.registry.validation.results import CheckFailed, CheckSkipped

NAME = "correctness.cross_engine"
_INDEXED = re.compile(r"^(?P<base>.+)\[(?P<index>\d+)\]$")


def candidates(name: str) -> Iterable[str]:
    yield name
    match = _INDEXED.match(name)
    base, index = (match["base"], match["index"]) if match else (name, None)
    if index is not None:
        yield f"{base}_{index}"
        yield f"gamma_{base}_{index}"
        yield f"gamma_{base}_bin_{index}"
        if base.startswith("staterror_"):
            yield f"gamma_stat_{base.removeprefix('staterror_')}_bin_{index}"
    else:
        yield f"alpha_{name}"


def map_parameters(
    pyhf_names: Iterable[str], hs3_names: Iterable[str], explicit: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """{pyhf name: HS3 name} and the pyhf names left unmapped."""
    available = set(hs3_names)
    lowered = {name.lower(): name for name in available}
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    for name in pyhf_names:
        if explicit and name in explicit:
            mapping[name] = explicit[name]
            continue
        found = next((c for c in candidates(name) if c in available), None)
        if found is None:
            found = next(
                (lowered[c.lower()] for c in candidates(name) if c.lower() in lowered), None
            )
        if found is None:
            unmapped.append(name)
        else:
            mapping[name] = found
    return mapping, unmapped


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "correctness") as outcome:
        twin = ctx.companions.get("hs3-twin")
        if twin is None:
            raise CheckSkipped("no HS3 twin supplied (link rel 'hs3-twin')")
        if ctx.model is None or ctx.model.engine_name != "pyhf":
            raise CheckSkipped("the pyhf-vs-pyhs3 comparison needs a pyhf model")
        other = Pyhs3Engine().load(twin.document, likelihood=twin.link.likelihood)
        hs3_names = [p.name for p in other.parameters]
        mapping, unmapped = map_parameters(
            [p.name for p in ctx.model.parameters], hs3_names, twin.link.parameter_map
        )
        unmapped_free = [n for n in unmapped if not ctx.model.parameter(n).fixed]
        bad_targets = sorted(set(mapping.values()) - set(hs3_names))
        outcome.details = {
            "engines": {"pyhf": ctx.engines.get("pyhf"), "pyhs3": ctx.engines.get("pyhs3")},
            "parameter_map": mapping,
            "hs3_only": sorted(set(hs3_names) - set(mapping.values())),
            "likelihood": other.describe().get("likelihood"),
        }
        if unmapped_free or bad_targets:
            raise CheckFailed(
                "cannot match parameters between pyhf and the HS3 twin: "
                f"pyhf {unmapped_free} have no HS3 counterpart; HS3 has no {bad_targets} "
                "(add a parameter_map to the hs3-twin link)",
                outcome.details,
            )
        _compare(ctx, ctx.model, other, mapping, outcome.details)
        worst = outcome.details["max_relative_difference"]
        if worst > ctx.config.cross_engine_rtol:
            raise CheckFailed(
                f"pyhf and pyhs3 differ by {worst:.3g} (relative) at "
                f"{outcome.details['worst_point']}, over {ctx.config.cross_engine_rtol:g}",
                outcome.details,
            )
        outcome.message = (
            f"pyhf vs pyhs3: max relative difference {worst:.3g} over "
            f"{outcome.details['points']} points"
        )


def _compare(
    ctx: EntryContext,
    model: LoadedModel,
    other: LoadedModel,
    mapping: Mapping[str, str],
    details: dict[str, object],
) -> None:
    points = shift_points(model, limit=ctx.config.cross_engine_max_points)
    pyhf_values = model.logpdf_many([p.values for p in points])
    hs3_values = []
    for point in points:
        complete = model.complete(point.values)
        hs3_values.append(
            other.logpdf({mapping[n]: v for n, v in complete.items() if n in mapping})
        )
    differences = [relative_difference(a, b) for a, b in zip(pyhf_values, hs3_values, strict=True)]
    worst = max(range(len(points)), key=lambda i: differences[i])
    pyhf_fit, hs3_fit = model.fit(), other.fit()
    details.update(
        {
            "points": len(points),
            "max_relative_difference": differences[worst],
            "worst_point": points[worst].label,
            "logpdf_init": {"pyhf": pyhf_values[0], "pyhs3": hs3_values[0]},
            "rtol": ctx.config.cross_engine_rtol,
            "fit_twice_nll": {"pyhf": pyhf_fit.twice_nll, "pyhs3": hs3_fit.twice_nll},
            "fit_relative_difference": relative_difference(pyhf_fit.twice_nll, hs3_fit.twice_nll),
        }
    )
