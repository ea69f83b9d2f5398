"""Model registry: wall time of the offline pipeline (`pyshepard registry validate`, steps 1-3)
per model, and models validated per minute with 1 and 2 worker processes.

    python benchmarks/bench_registry.py                   # small, atlas-1lbb, sbottom RegionA
    python benchmarks/bench_registry.py --copies 48       # a bigger folder for the throughput
    python benchmarks/bench_registry.py --sbottom-regions 3   # all 650 sbottom patches

Each figure is one `validate_path` call, as the CLI makes it: worker processes start, entries
are validated in them (engines sandboxed), reports and plots are written. A warm-up run fills the
engine/plotting cache first (CI keeps that cache too). Model files come from ../shared/models
(real public likelihoods). There is no server and no database here, so there is no raw-database
ratio; the per-step split (integrity / correctness / preprocessing, summed over checks) shows
where the time goes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.results import RunReport
from pyshepard.registry.validation.runner import validate_path

MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
SBOTTOM = MODELS / "atlas-sbottom" / "pyhf-ins1748602-probability-models.tar.gz"
PATCH_NAME = re.compile(r"patch\.(sbottom_(\d+)_(\d+)_(\d+))\.json$")
# logpdf of the observed data at the suggested init, pyhf 0.7.6 numpy 64-bit (models/README.md)
LOGPDF = {
    "pyhf/2-bin_1-channel.json": -12.583633148889326,
    "pyhf/xmlimport_input_bkg.json": -6.594269008267794,
    "pyhf/example_bkgonly.json": -4.547940337579668,
    "atlas-1lbb/bkg_only.json": -43.035430700775564,
    "sbottom/RegionA": -54.833797917237106,
}
SMALL = ("pyhf/2-bin_1-channel.json", "pyhf/xmlimport_input_bkg.json", "pyhf/example_bkgonly.json")


def _checksum(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def make_entry(
    folder: Path,
    model: Path,
    *,
    name: str,
    logpdf: float | None,
    companion: Path | None = None,
) -> Path:
    """An entry folder (entry.json, the model, a reference point, a patch-of companion)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / model.name
    shutil.copyfile(model, target)
    entry: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "domain": "particle_physics",
        "collaboration": "benchmarks",
        "file_location": model.name,
        "checksum": _checksum(target),
        "metadata": {"tags": ["benchmark"], "search_keywords": [], "citations": []},
    }
    if logpdf is not None:
        point = {"kind": "logpdf", "parameters": "init", "data": "observed", "expected": logpdf}
        _write(folder / "reference_points.json", [point | {"atol": 0.0, "rtol": 1e-9}])
        entry["reference_points"] = "reference_points.json"
    if companion is not None:
        shutil.copyfile(companion, folder / companion.name)
        entry["links"] = [
            {"rel": "patch-of", "href": companion.name, "checksum": _checksum(companion)}
        ]
    _write(folder / "entry.json", entry)
    return folder


def sbottom_entry(raw: Path, region: str, folder: Path) -> Path:
    """One region's 200+ jsonpatch files as one pyhf patchset, with BkgOnly.json as patch-of."""
    background = json.loads((raw / region / "BkgOnly.json").read_text())
    patches = []
    for path in sorted((raw / region).glob("patch.sbottom_*.json")):
        match = PATCH_NAME.search(path.name)
        if match:
            values = [int(match[2]), int(match[3]), int(match[4])]
            patches.append(
                {
                    "metadata": {"name": match[1], "values": values},
                    "patch": json.loads(path.read_text()),
                }
            )
    digest = hashlib.sha256(
        json.dumps(background, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    patchset = _write(
        folder.parent / f"{region}-build" / "patchset.json",
        {
            "metadata": {
                "description": f"ATLAS SUSY sbottom multi-b {region} signal patches",
                "digests": {"sha256": digest},
                "labels": ["m_sbottom", "m_neutralino2", "m_neutralino1"],
                "references": {"hepdata": "ins1748602"},
            },
            "patches": patches,
            "version": "1.0.0",
        },
    )
    return make_entry(
        folder,
        patchset,
        name=f"ATLAS sbottom {region}",
        logpdf=LOGPDF["sbottom/RegionA"] if region == "RegionA" else None,
        companion=raw / region / "BkgOnly.json",
    )


def run(path: Path, config: ValidationConfig, jobs: int, out: Path) -> tuple[float, RunReport]:
    start = time.perf_counter()
    report = validate_path(path, config, jobs=jobs, artifacts_root=out)
    elapsed = time.perf_counter() - start
    failed = [e.entry for e in report.entries if e.status != "passed"]
    if failed:
        raise SystemExit(f"validation failed for {failed}: the figures would be meaningless")
    return elapsed, report


def steps(report: RunReport) -> str:
    totals: dict[str, float] = {}
    for entry in report.entries:
        for check in entry.checks:
            totals[check.step] = totals.get(check.step, 0.0) + check.duration_ms / 1000
    return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in totals.items())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=24, help="small models in the folder")
    parser.add_argument(
        "--sbottom-regions", type=int, default=1, choices=[0, 1, 2, 3], help="0 skips sbottom"
    )
    parser.add_argument("--sbottom-jobs", type=int, default=2, help="workers for sbottom")
    args = parser.parse_args()
    if not MODELS.is_dir():
        raise SystemExit(f"shared models not found at {MODELS}")
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as scratch:
        root = Path(scratch)
        config = ValidationConfig(cache_dir=root / "cache", memory_limit_mb=4096)
        warm = make_entry(
            root / "warm" / "e", MODELS / SMALL[0], name="warm-up", logpdf=LOGPDF[SMALL[0]]
        )
        seconds, _ = run(warm.parent, config, 1, root / "out")
        print(f"warm-up (cold cache, 1 small model): {seconds:.2f} s")

        print("\n-- wall time per model (one validate call, --jobs 1 unless stated) --")
        singles = {
            "small: pyhf/2-bin_1-channel.json (+ reference point)": make_entry(
                root / "single-small" / "e",
                MODELS / SMALL[0],
                name="small",
                logpdf=LOGPDF[SMALL[0]],
            ),
            "atlas-1lbb bkg_only.json (662 KB, 19 parameters, + reference point)": make_entry(
                root / "single-1lbb" / "e",
                MODELS / "atlas-1lbb" / "bkg_only.json",
                name="1lbb",
                logpdf=LOGPDF["atlas-1lbb/bkg_only.json"],
            ),
        }
        for label, folder in singles.items():
            seconds, report = run(folder.parent, config, 1, root / "out")
            print(f"{label}: {seconds:.2f} s  [{steps(report)}]")

        if args.sbottom_regions:
            raw = root / "sbottom-raw"
            with tarfile.open(SBOTTOM) as archive:
                archive.extractall(raw, filter="data")
            regions = ["RegionA", "RegionB", "RegionC"][: args.sbottom_regions]
            for region in regions:
                sbottom_entry(raw, region, root / "sbottom" / region)
            seconds, report = run(root / "sbottom", config, args.sbottom_jobs, root / "out")
            patches = sum(
                next(c for c in e.checks if c.name == "correctness.patches").details["patches"]
                for e in report.entries
            )
            print(
                f"atlas-sbottom {'+'.join(regions)} patchset(s), {patches} patches "
                f"({config.patch_fits} MLE fits per region), --jobs {args.sbottom_jobs}: "
                f"{seconds:.1f} s = {seconds / patches * 1000:.0f} ms/patch  [{steps(report)}]"
            )

        print(f"\n-- throughput: a folder of {args.copies} small models --")
        folder = root / "many"
        for index in range(args.copies):
            model = SMALL[index % len(SMALL)]
            make_entry(
                folder / f"m{index:03d}", MODELS / model, name=f"m{index}", logpdf=LOGPDF[model]
            )
        rates = {}
        for jobs in (1, 2):
            seconds, report = run(folder, config, jobs, root / f"out-{jobs}")
            rates[jobs] = len(report.entries) / seconds * 60
            print(
                f"--jobs {jobs}: {len(report.entries)} models in {seconds:.1f} s = "
                f"{rates[jobs]:.0f} models/min  [{steps(report)}]"
            )
        print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
