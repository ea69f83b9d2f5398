"""The ATLAS sbottom full likelihoods: three background-only workspaces with 650 signal patches,
each region one patchset entry, every patch evaluated individually in parallel workers."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from pyshepard.registry.validation.config import ValidationConfig
from pyshepard.registry.validation.runner import validate_path
from tests.registry.builders import (
    SBOTTOM_REGION_A_LOGPDF,
    logpdf_point,
    make_entry,
    sbottom_patchset,
    unpack_sbottom,
    write_json,
)

REGIONS = ("RegionA", "RegionB", "RegionC")
log = logging.getLogger(__name__)


@pytest.mark.slow
def test_sbottom_650_patches(tmp_path: Path, config: ValidationConfig) -> None:
    raw = unpack_sbottom(tmp_path / "raw")
    models = tmp_path / "models"
    for region in REGIONS:
        patchset = write_json(
            tmp_path / "build" / region / "patchset.json", sbottom_patchset(raw / region)
        )
        make_entry(
            models / f"sbottom-{region}",
            patchset,
            model_name="patchset.json",
            name=f"ATLAS SUSY sbottom multi-b {region}",
            doi="10.17182/hepdata.89408.v3",
            companions={"patch-of": raw / region / "BkgOnly.json"},
            reference_points=[logpdf_point(SBOTTOM_REGION_A_LOGPDF)]
            if region == "RegionA"
            else None,
        )
    start = time.monotonic()
    run = validate_path(models, config, jobs=2, artifacts_root=tmp_path / "out")
    log.info("sbottom: 650 patches validated in %.1f s", time.monotonic() - start)

    assert [e.entry for e in run.entries] == [f"sbottom-{r}" for r in REGIONS]
    total = 0
    for entry in run.entries:
        assert entry.status == "passed", [(c.name, c.message) for c in entry.failures()]
        patches = next(c for c in entry.checks if c.name == "correctness.patches")
        assert patches.details["failed"] == 0
        assert patches.details["evaluated"] == patches.details["patches"]
        assert len(patches.details["fitted"]) == config.patch_fits
        assert all(p["status"] == "passed" for p in patches.details["per_patch"])
        total += patches.details["patches"]
        summary = next(c for c in entry.checks if c.name == "preprocessing.summary").details
        assert summary["poi"] == "mu_SIG"
        assert {
            link["rel"]
            for link in next(c for c in entry.checks if c.name == "preprocessing.links").details[
                "links"
            ]
        } >= {"hepdata", "inspire", "patch-of"}
    assert total == 650
    reference = next(c for c in run.entries[0].checks if c.name == "correctness.reference_points")
    assert reference.status == "passed"
    assert reference.details["points"][0]["actual"] == pytest.approx(
        SBOTTOM_REGION_A_LOGPDF, rel=1e-12
    )
    build = next(c for c in run.entries[0].checks if c.name == "correctness.build")
    assert "Built without a POI" in " ".join(build.details["notes"])
