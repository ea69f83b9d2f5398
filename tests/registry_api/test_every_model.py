"""Every model in shared/models through the server pipeline (issue 4): submitted with
POST /api/models, validated by the durable job, reviewed, then public; every defective file
refused with its defect named; wrong reference values and tampered checksums caught.

The entry folders come from the offline tests' builders (tests.registry), so both paths check the
same models against the same reference values. One module fixture submits everything and runs
the queued validations (two at a time); each model is then its own test."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyshepard.core.db import Database
from pyshepard.core.jobs import JobRunner
from pyshepard.jobs_registry import HANDLERS
from pyshepard.registry.remote.sync import LocalEntry, load_entry, wire_entry
from pyshepard.registry.validation.layout import EntrySource
from tests.conftest import ApiUser, provision_user
from tests.registry.builders import (
    MODELS,
    README_LOGPDF,
    SBOTTOM_REGION_A_LOGPDF,
    logpdf_point,
    make_entry,
    sbottom_patchset,
    sha256_of,
    unpack_sbottom,
    write_json,
)
from tests.registry.test_models import INVALID_FILES, INVALID_REASONS, VALID, _build_valid
from tests.registry_api.conftest import API, submit

PYHF = MODELS / "pyhf"
HS3 = MODELS / "hs3"
TWO_BIN = PYHF / "2-bin_1-channel.json"
SBOTTOM = "sbottom-RegionA"
# patch fits per patchset in the server's validation (PYSHEPARD_REGISTRY_PATCH_FITS): every
# patch is still evaluated, only the MLE fits are capped, so the 217 sbottom patches stay quick
PATCH_FITS = 1

# Where the server's answer differs from the offline pipeline's for the same file: the upload
# itself is refused (400) before any job runs. Otherwise the job fails with the offline reason.
REFUSED_AT_SUBMISSION = {
    # a git symlink stored as text (its content is a path): not JSON, refused on upload
    "patchset_bad_empty_patches.json": "the model file is not JSON: it must start with",
}
# the HS3 pairs: the pyhf file is submitted with its HS3 twin, so cross-engine runs
TWINS = {
    "twin-uncorrelated": {
        "uncorr_bkguncrt[0]": "uncorr_bkguncrt_0",
        "uncorr_bkguncrt[1]": "uncorr_bkguncrt_1",
        "mu": "mu",
    },
    "twin-correlated": {
        "correlated_bkg_uncertainty": "alpha_correlated_bkg_uncertainty",
        "mu": "mu",
    },
}
PUBLISHED = [*VALID, SBOTTOM]


@dataclass
class Submission:
    slug: str
    keyword: str
    response: httpx.Response

    @property
    def model_id(self) -> str:
        model_id: str = self.response.json()["model_id"]
        return model_id


@dataclass
class Pipeline:
    owner: ApiUser
    collaboration: str
    expected: dict[str, dict[str, float]]
    submissions: dict[str, Submission] = field(default_factory=dict)
    jobs: int = 0
    job_seconds: float = 0.0


def _personalise(folder: Path, collaboration: str, keyword: str) -> None:
    """A collaboration of this run (no clash with other tests' concepts), a name per folder (one
    concept each) and a unique keyword (for the anonymous search); entry.json only, the model
    bytes stay as shipped."""
    entry = json.loads((folder / "entry.json").read_text())
    entry["collaboration"] = collaboration
    entry["name"] = f"{entry['name']} ({folder.name})"
    entry["metadata"]["search_keywords"] = [keyword]
    write_json(folder / "entry.json", entry)


def _build_invalid(root: Path) -> None:
    """pyhf/invalid/* as the offline tests submit them (patchsets with their background), and
    a wrong reference value next to a right one."""
    for name in INVALID_FILES:
        companions = (
            {"patch-of": PYHF / "example_bkgonly.json"} if name.startswith("patchset") else None
        )
        make_entry(root / _invalid_slug(name), PYHF / "invalid" / name, companions=companions)
    make_entry(
        root / "wrong-reference",
        TWO_BIN,
        reference_points=[
            logpdf_point(-12.5, name="wrong"),
            logpdf_point(README_LOGPDF["pyhf/2-bin_1-channel.json"], name="right"),
        ],
    )


def _invalid_slug(name: str) -> str:
    return f"invalid-{name.removesuffix('.json')}"


def _build_sbottom(root: Path, scratch: Path) -> None:
    raw = unpack_sbottom(scratch / "raw")
    region = raw / "RegionA"
    patchset = write_json(scratch / "build" / "patchset.json", sbottom_patchset(region))
    make_entry(
        root / SBOTTOM,
        patchset,
        model_name="patchset.json",
        name="ATLAS SUSY sbottom multi-b RegionA",
        doi="10.17182/hepdata.89408.v3",
        companions={"patch-of": region / "BkgOnly.json"},
        reference_points=[logpdf_point(SBOTTOM_REGION_A_LOGPDF, name="README logpdf(init)")],
    )


async def _submit_folder(
    client: httpx.AsyncClient, owner: ApiUser, local: LocalEntry
) -> httpx.Response:
    """POST an entry folder the way `pyshepard registry submit` does (same wire fields)."""
    return await submit(
        client,
        owner.headers,
        wire_entry(local.raw),
        local.model.path.read_bytes(),
        filename=local.model.name,
        points=local.reference_points.path.read_bytes() if local.reference_points else None,
        companions={c.name: c.path.read_bytes() for c in local.companions},
    )


@pytest.fixture(scope="module")
async def pipeline(app: object, db: Database, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    scratch = tmp_path_factory.mktemp("every-model")
    root = scratch / "models"
    expected = _build_valid(root)
    _build_sbottom(root, scratch)
    expected[SBOTTOM] = {"README logpdf(init)": SBOTTOM_REGION_A_LOGPDF}
    _build_invalid(root)
    shutil.rmtree(scratch / "raw")  # 36 MB of unpacked patches: the entry holds copies

    token = uuid.uuid4().hex[:10]
    state = Pipeline(
        owner=await provision_user(db), collaboration=f"every-model-{token}", expected=expected
    )
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            keyword = f"kw{token}-{folder.name}"
            _personalise(folder, state.collaboration, keyword)
            local = load_entry(EntrySource(directory=folder, root=root))
            response = await _submit_folder(client, state.owner, local)
            state.submissions[folder.name] = Submission(folder.name, keyword, response)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYSHEPARD_REGISTRY_PATCH_FITS", str(PATCH_FITS))
        runner = JobRunner(db, HANDLERS, worker_id=f"every-model-{token}", concurrency=2)
        start = time.monotonic()
        state.jobs = await runner.run_once()
        state.job_seconds = time.monotonic() - start
    return state


@pytest.fixture
async def anonymous(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own address, so the anonymous rate limit is not shared with others."""
    transport = httpx.ASGITransport(app=app, client=(f"127.0.3.{uuid.uuid4().int % 250}", 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _entry(client: httpx.AsyncClient, pipeline: Pipeline, slug: str) -> dict[str, Any]:
    submission = pipeline.submissions[slug]
    assert submission.response.status_code == 201, submission.response.text
    got = await client.get(f"{API}/{submission.model_id}", headers=pipeline.owner.headers)
    assert got.status_code == 200, got.text
    entry: dict[str, Any] = got.json()
    return entry


async def _checks(client: httpx.AsyncClient, pipeline: Pipeline, slug: str) -> dict[str, Any]:
    model_id = pipeline.submissions[slug].model_id
    report = await client.get(f"{API}/{model_id}/report", headers=pipeline.owner.headers)
    assert report.status_code == 200, report.text
    return {c["name"]: c for c in report.json()["report"]["entries"][0]["checks"]}


async def _anonymous_list(anonymous: httpx.AsyncClient) -> set[str]:
    """Every model_id of the paged anonymous list (GET /api/models)."""
    seen: set[str] = set()
    page = 0
    while True:
        response = await anonymous.get(API, params={"page": page, "size": 200})
        assert response.status_code == 200, response.text
        seen |= {e["model_id"] for e in response.json()}
        if len(response.json()) < 200:
            return seen
        page += 1


async def test_every_accepted_submission_was_validated_once(
    client: httpx.AsyncClient, pipeline: Pipeline
) -> None:
    accepted = [s for s in pipeline.submissions.values() if s.response.status_code == 201]
    assert pipeline.jobs >= len(accepted)
    durations = {}
    for submission in accepted:
        runs = await client.get(f"{API}/{submission.model_id}/runs", headers=pipeline.owner.headers)
        assert runs.status_code == 200, runs.text
        (run,) = runs.json()
        assert run["status"] in {"passed", "failed"}
        started = dt.datetime.fromisoformat(run["started_at"])
        durations[submission.slug] = dt.datetime.fromisoformat(run["finished_at"]) - started
    # the module's run time is dominated by these; `-rP` shows them
    print(f"{len(accepted)} validations, 2 at a time, in {pipeline.job_seconds:.1f} s")  # noqa: T201
    for slug, duration in sorted(durations.items(), key=lambda item: -item[1]):
        print(f"  {slug}: {duration.total_seconds():.1f} s")  # noqa: T201


@pytest.mark.parametrize("slug", PUBLISHED)
async def test_valid_model_is_validated_reviewed_and_public(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    pipeline: Pipeline,
    reviewer: ApiUser,
    slug: str,
) -> None:
    entry = await _entry(client, pipeline, slug)
    model_id = entry["model_id"]
    failures = entry["validation"]["failures"] if entry["validation"] else None
    assert entry["validation_status"] == "awaiting_review", failures
    assert entry["validation"]["checks"]["failed"] == 0
    assert entry["canonical_checksum"].startswith("sha256:")
    assert entry["summary"]["parameters"] > 0
    assert entry["validation"]["engines"]["pyhf" if not slug.startswith("hs3") else "pyhs3"]

    checks = await _checks(client, pipeline, slug)
    for name in ("integrity.checksum", "integrity.schema", "correctness.build"):
        assert checks[name]["status"] == "passed", checks[name]["message"]
    reference = checks["correctness.reference_points"]
    if slug in pipeline.expected:
        assert reference["status"] == "passed", reference["message"]
        by_name = {p["name"]: p for p in reference["details"]["points"]}
        for name, value in pipeline.expected[slug].items():
            point = by_name[name]
            assert point["expected"] == value
            assert abs(point["actual"] - value) <= point["tolerance"]
    if slug in TWINS:
        cross = checks["correctness.cross_engine"]
        assert cross["status"] == "passed", cross["message"]
        assert cross["details"]["parameter_map"] == TWINS[slug]
        assert cross["details"]["max_relative_difference"] < 1e-12
    if entry["format"] == "pyhf-patchset":
        patches = checks["correctness.patches"]["details"]
        assert patches["failed"] == 0
        assert patches["evaluated"] == patches["patches"] == entry["summary"]["patches"]
        assert len(patches["fitted"]) == min(PATCH_FITS, patches["patches"])
    if slug == SBOTTOM:
        assert entry["summary"]["patches"] == 217
        assert entry["summary"]["poi"] == "mu_SIG"

    # not public before the review
    assert (await anonymous.get(f"{API}/{model_id}")).status_code == 404
    review = {"decision": "approve", "reason": "reproduces the published values"}
    approved = await client.post(f"{API}/{model_id}/review", json=review, headers=reviewer.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["validation_status"] == "approved"

    public = await anonymous.get(f"{API}/{model_id}")
    assert public.status_code == 200
    assert public.json()["validation_status"] == "approved"
    assert model_id in await _anonymous_list(anonymous)
    listed = await anonymous.get(f"{API}/filter", params={"collaboration": pipeline.collaboration})
    assert model_id in {e["model_id"] for e in listed.json()}
    found = await anonymous.get(f"{API}/search", params={"q": pipeline.submissions[slug].keyword})
    assert [e["model_id"] for e in found.json()] == [model_id]
    file = await anonymous.get(f"{API}/{model_id}/file")
    assert file.status_code == 200
    assert "sha256:" + file.headers["etag"].strip('"') == entry["checksum"]


@pytest.mark.parametrize("name", INVALID_FILES)
async def test_invalid_file_is_refused_naming_the_defect(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, pipeline: Pipeline, name: str
) -> None:
    submission = pipeline.submissions[_invalid_slug(name)]
    if name in REFUSED_AT_SUBMISSION:
        assert submission.response.status_code == 400, submission.response.text
        assert REFUSED_AT_SUBMISSION[name] in submission.response.json()["message"]
        return
    assert submission.response.status_code == 201, submission.response.text
    entry = await _entry(client, pipeline, _invalid_slug(name))
    assert entry["validation_status"] == "failed"
    messages = [f["message"] for f in entry["validation"]["failures"]]
    assert any(INVALID_REASONS[name] in message for message in messages), messages
    checks = await _checks(client, pipeline, _invalid_slug(name))
    assert all(c["status"] != "passed" for c in checks.values() if c["step"] == "correctness")
    assert (await anonymous.get(f"{API}/{entry['model_id']}")).status_code == 404
    assert entry["model_id"] not in await _anonymous_list(anonymous)


async def test_wrong_reference_value_fails_naming_the_point(
    client: httpx.AsyncClient, pipeline: Pipeline
) -> None:
    entry = await _entry(client, pipeline, "wrong-reference")
    assert entry["validation_status"] == "failed"
    failures = {f["name"]: f["message"] for f in entry["validation"]["failures"]}
    assert set(failures) == {"correctness.reference_points"}, failures
    message = failures["correctness.reference_points"]
    assert message.startswith("1 of 2 reference points disagree: wrong logpdf: expected -12.5")
    assert "right" not in message
    checks = await _checks(client, pipeline, "wrong-reference")
    wrong, right = checks["correctness.reference_points"]["details"]["points"]
    assert (wrong["name"], wrong["status"]) == ("wrong", "failed")
    assert math.isclose(wrong["actual"], README_LOGPDF["pyhf/2-bin_1-channel.json"], rel_tol=1e-12)
    assert (right["name"], right["status"]) == ("right", "passed")


TWIN_HIFA = HS3 / "simplemodel_uncorrelated-background_hifa.json"
TWIN_HS3 = HS3 / "simplemodel_uncorrelated-background_hs3.json"


def _tampered(case: str, folder: Path, collaboration: str) -> tuple[dict[str, Any], bytes, Any]:
    """(entry fields, model bytes, companions) of an entry whose checksum no longer matches."""
    companion = TWIN_HS3 if case == "companion" else None
    make_entry(
        folder,
        TWIN_HIFA if companion else TWO_BIN,
        collaboration=collaboration,
        companions={"hs3-twin": companion} if companion else None,
    )
    entry = json.loads((folder / "entry.json").read_text())
    if case == "declared":
        entry["checksum"] = "sha256:" + "0" * 64
    elif case == "bytes":  # the file was edited after entry.json was written
        with (folder / "model.json").open("a") as stream:
            stream.write("\n ")
    else:
        entry["links"][0]["checksum"] = "sha256:" + "1" * 64
    fields = {k: v for k, v in entry.items() if k not in {"file_location", "validation_status"}}
    companions = {companion.name: companion.read_bytes()} if companion else None
    return fields, (folder / "model.json").read_bytes(), companions


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("declared", "checksum mismatch: the entry declares sha256:000"),
        ("bytes", "checksum mismatch: the entry declares " + sha256_of(TWO_BIN)),
        ("companion", f"checksum mismatch for companion {TWIN_HS3.name}: declared sha256:111"),
    ],
)
async def test_tampered_checksum_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, user: ApiUser, tmp_path: Path, case: str, reason: str
) -> None:
    collaboration = f"tampered-{uuid.uuid4().hex[:10]}"
    fields, model, companions = _tampered(case, tmp_path / case, collaboration)
    response = await submit(client, user.headers, fields, model, companions=companions)
    assert response.status_code == 400, response.text
    assert reason in response.json()["message"]
    mine = await client.get(
        f"{API}/filter", params={"collaboration": collaboration}, headers=user.headers
    )
    assert mine.status_code == 200
    assert mine.json() == []
