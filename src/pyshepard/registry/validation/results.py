"""Recorded outcomes: one `CheckResult` per check, an `EntryReport` per entry, a `RunReport`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, computed_field

from pyshepard.registry.entry import Entry

CheckStatus = Literal["passed", "failed", "skipped"]
Step = Literal["integrity", "correctness", "preprocessing"]


class CheckResult(BaseModel):
    name: str
    step: Step
    status: CheckStatus
    duration_ms: float
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class EntryReport(BaseModel):
    entry: str
    name: str | None = None
    version: str | None = None
    model_id: str | None = None
    format: str | None = None
    status: Literal["passed", "failed"]
    duration_ms: float
    checks: list[CheckResult]
    engines: dict[str, str] = Field(default_factory=dict)
    artifacts: list[str] = Field(default_factory=list)
    enriched: Entry | None = None

    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if check.status == "failed"]


class RunReport(BaseModel):
    started_at: dt.datetime
    duration_ms: float
    root: str
    tool_version: str
    entries: list[EntryReport]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return bool(self.entries) and all(entry.status == "passed" for entry in self.entries)


class CheckFailed(Exception):
    """Raised inside a check body to record a failure with a message and details."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class CheckSkipped(Exception):
    """Raised inside a check body when the check does not apply."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


@dataclass
class Outcome:
    """What a check body fills in: its pass message and details."""

    message: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


class CheckListener(Protocol):
    def started(self, name: str, step: Step) -> None: ...

    def finished(self, result: CheckResult) -> None: ...


@dataclass
class Recorder:
    """Times check bodies and turns their outcome (or exception) into `CheckResult`s."""

    sink: list[CheckResult] = field(default_factory=list)
    listener: CheckListener | None = None

    @contextmanager
    def check(self, name: str, step: Step) -> Iterator[Outcome]:
        if self.listener is not None:
            self.listener.started(name, step)
        outcome = Outcome()
        start = time.perf_counter()
        status: CheckStatus = "passed"
        try:
            yield outcome
        except CheckFailed as failure:
            status, outcome.message = "failed", failure.message
            outcome.details.update(failure.details)
        except CheckSkipped as skipped:
            status, outcome.message = "skipped", skipped.message
            outcome.details.update(skipped.details)
        except MemoryError:
            status, outcome.message = "failed", "memory limit exceeded"
        except Exception as error:  # an engine error fails the check, not the run
            status, outcome.message = "failed", f"{type(error).__name__}: {error}"
        self.add(
            CheckResult(
                name=name,
                step=step,
                status=status,
                duration_ms=round((time.perf_counter() - start) * 1000, 3),
                message=outcome.message,
                details=outcome.details,
            )
        )

    def skip(self, name: str, step: Step, message: str) -> None:
        self.add(
            CheckResult(name=name, step=step, status="skipped", duration_ms=0.0, message=message)
        )

    def add(self, result: CheckResult) -> None:
        self.sink.append(result)
        if self.listener is not None:
            self.listener.finished(result)

    def failed(self, *names: str) -> bool:
        return any(r.status == "failed" and r.name in names for r in self.sink)

    def has_failures(self) -> bool:
        return any(r.status == "failed" for r in self.sink)
