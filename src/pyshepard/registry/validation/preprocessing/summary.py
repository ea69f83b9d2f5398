"""`preprocessing.summary`: channels, bins per channel, samples, modifiers by type, parameters,
POI, measurements (pyhf) or distributions by type (HS3); a patchset is summarised by its
background-only workspace plus its number of patches."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from pyshepard.registry.entry import ChannelSummary, ModelSummary
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckSkipped

NAME = "preprocessing.summary"


def pyhf_summary(workspace: dict[str, Any]) -> ModelSummary:
    channels = []
    samples: dict[str, None] = {}
    modifiers: set[tuple[str, str]] = set()
    for channel in workspace.get("channels", []):
        channel_samples = [s["name"] for s in channel.get("samples", [])]
        bins = len(channel["samples"][0]["data"]) if channel.get("samples") else 0
        channels.append(ChannelSummary(name=channel["name"], bins=bins, samples=channel_samples))
        samples.update(dict.fromkeys(channel_samples))
        for sample in channel.get("samples", []):
            modifiers.update((m["name"], m["type"]) for m in sample.get("modifiers", []))
    measurements = workspace.get("measurements", [])
    poi = measurements[0].get("config", {}).get("poi") if measurements else None
    return ModelSummary(
        channels=channels,
        bins=sum(c.bins for c in channels),
        samples=list(samples),
        modifiers=dict(sorted(Counter(kind for _, kind in modifiers).items())),
        poi=poi,
        measurements=[m.get("name", "") for m in measurements],
    )


def hs3_summary(document: dict[str, Any]) -> ModelSummary:
    distributions = document.get("distributions") or []
    channels = []
    samples: dict[str, None] = {}
    modifiers: set[tuple[str, str]] = set()
    for dist in distributions:
        if dist.get("type") != "histfactory_dist":
            continue
        bins = (
            math.prod(int(axis.get("nbins", 1)) for axis in dist.get("axes", []))
            if dist.get("axes")
            else 0
        )
        names = [s.get("name", "") for s in dist.get("samples", [])]
        channels.append(ChannelSummary(name=dist.get("name", ""), bins=bins, samples=names))
        samples.update(dict.fromkeys(names))
        for sample in dist.get("samples", []):
            modifiers.update(
                (m.get("name", ""), m.get("type", "")) for m in sample.get("modifiers", [])
            )
    pois = [
        poi
        for analysis in document.get("analyses") or []
        for poi in analysis.get("parameters_of_interest", [])
    ]
    return ModelSummary(
        channels=channels,
        bins=sum(c.bins for c in channels),
        samples=list(samples),
        modifiers=dict(sorted(Counter(kind for _, kind in modifiers).items())),
        poi=pois[0] if pois else None,
        distributions=dict(sorted(Counter(d.get("type", "") for d in distributions).items())),
    )


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "preprocessing") as outcome:
        if ctx.model_format == "hs3":
            summary = hs3_summary(ctx.document)
        elif ctx.model_format == "pyhf-workspace":
            summary = pyhf_summary(ctx.document)
        elif ctx.model_format == "pyhf-patchset" and "patch-of" in ctx.companions:
            summary = pyhf_summary(ctx.companions["patch-of"].document)
            summary.patches = len(ctx.document.get("patches", []))
        else:
            raise CheckSkipped("nothing to summarise")
        if ctx.model is not None:
            summary.parameters = len(ctx.model.parameters)
            summary.poi = ctx.model.poi or summary.poi
        ctx.summary = summary
        patches = f", {summary.patches} patches" if summary.patches is not None else ""
        outcome.message = (
            f"{len(summary.channels)} channels, {summary.bins} bins, {len(summary.samples)} "
            f"samples, {summary.parameters} parameters, POI {summary.poi or 'none'}{patches}"
        )
        outcome.details = summary.model_dump()
