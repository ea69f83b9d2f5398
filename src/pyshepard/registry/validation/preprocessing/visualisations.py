"""`preprocessing.visualisations`: pre-fit yields per channel (stacked samples, observed data) as
SVG, a parameter table (CSV and Markdown) and a PNG thumbnail, written to the entry's artifact
folder (the server copies them to the blob store)."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

from pyshepard.registry.engines import LoadedModel, Yields
from pyshepard.registry.validation.context import EntryContext
from pyshepard.registry.validation.results import CheckSkipped

NAME = "preprocessing.visualisations"
MAX_CHANNEL_PLOTS = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _pyplot() -> Any:
    import matplotlib  # noqa: PLC0415 - plotting is optional and heavy; load it only here

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "pyshepard"
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "channel"


def channel_plot(
    plt: Any, channel: str, samples: dict[str, list[float]], observed: list[float], path: Path
) -> None:
    figure, axes = plt.subplots(figsize=(7.2, 4.0))
    bins = max((len(v) for v in samples.values()), default=0)
    edges = list(range(bins))
    bottom = [0.0] * bins
    for sample, counts in samples.items():
        axes.bar(edges, counts, bottom=bottom, width=1.0, align="edge", label=sample, linewidth=0)
        bottom = [b + c for b, c in zip(bottom, counts, strict=False)]
    if observed:
        centres = [i + 0.5 for i in range(len(observed))]
        axes.errorbar(
            centres,
            observed,
            yerr=[math.sqrt(max(o, 0)) for o in observed],
            fmt="ko",
            label="observed",
        )
    axes.set_title(f"{channel}: pre-fit yields")
    axes.set_xlabel("bin")
    axes.set_ylabel("events")
    axes.set_xlim(0, max(bins, 1))
    if bins <= 20:
        axes.set_xticks([i + 0.5 for i in range(bins)], [str(i) for i in range(bins)])
    if len(samples) <= 12:
        axes.legend(fontsize="small", frameon=False, bbox_to_anchor=(1.02, 1), loc="upper left")
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def thumbnail(plt: Any, yields: Yields | None, model: LoadedModel | None, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(2.4, 1.5), dpi=100)
    if yields is not None:
        totals = [
            sum(values)
            for channel in yields.by_sample.values()
            for values in zip(*channel.values(), strict=False)
        ]
        axes.bar(range(len(totals)), totals, width=1.0, color="#3a6ea5")
    elif model is not None:
        spans = [
            (p.init - p.lower) / (p.upper - p.lower)
            if math.isfinite(p.upper - p.lower) and p.upper > p.lower
            else 0.5
            for p in model.parameters
        ]
        axes.barh(range(len(spans)), spans, color="#3a6ea5")
    axes.set_axis_off()
    figure.savefig(path, format="png", metadata={"Software": None}, bbox_inches="tight")
    plt.close(figure)


def parameter_table(model: LoadedModel, directory: Path) -> list[Path]:
    rows = [
        {
            "name": p.name,
            "init": p.init,
            "lower": p.lower,
            "upper": p.upper,
            "sigma": p.sigma(),
            "constrained": p.width is not None,
            "fixed": p.fixed,
            "poi": p.poi,
            "modifier": p.kind,
        }
        for p in model.parameters
    ]
    csv_path = directory / "parameters.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]) if rows else ["name"])
        writer.writeheader()
        writer.writerows(rows)
    md_path = directory / "parameters.md"
    lines = [
        "| parameter | init | bounds | sigma | fixed | POI | modifier |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['name']}` | {r['init']:.6g} | [{r['lower']:.4g}, {r['upper']:.4g}] | "
        f"{r['sigma']:.4g}{'' if r['constrained'] else ' (range)'} | "
        f"{'yes' if r['fixed'] else ''} | {'yes' if r['poi'] else ''} | {r['modifier']} |"
        for r in rows
    ]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [csv_path, md_path]


def run(ctx: EntryContext) -> None:
    with ctx.recorder.check(NAME, "preprocessing") as outcome:
        if ctx.artifacts_dir is None or not ctx.config.render_visualisations:
            raise CheckSkipped("no output folder for visualisations")
        if ctx.model is None:
            raise CheckSkipped("no model was built")
        directory = ctx.artifacts_dir
        directory.mkdir(parents=True, exist_ok=True)
        plt = _pyplot()
        written: list[Path] = []
        yields = ctx.model.yields()
        channels = list(yields.by_sample.items()) if yields is not None else []
        for channel, samples in channels[:MAX_CHANNEL_PLOTS]:
            path = directory / f"yields_{safe_name(channel)}.svg"
            observed = yields.observed.get(channel, []) if yields is not None else []
            channel_plot(plt, channel, samples, observed, path)
            written.append(path)
        written += parameter_table(ctx.model, directory)
        thumb = directory / "thumbnail.png"
        thumbnail(plt, yields, ctx.model, thumb)
        written.append(thumb)
        ctx.artifacts += [str(path) for path in written]
        omitted = max(0, len(channels) - MAX_CHANNEL_PLOTS)
        outcome.message = (
            f"{min(len(channels), MAX_CHANNEL_PLOTS)} yield plots, parameter table, thumbnail"
            + (f" ({omitted} channels not plotted)" if omitted else "")
        )
        outcome.details = {"files": [path.name for path in written], "directory": str(directory)}
