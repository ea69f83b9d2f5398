"""Task functions for the sandbox tests (run inside worker processes)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any


def echo(value: Any, *, emit: Callable[[str, Any], None]) -> Any:
    emit("started", {"name": "echo", "step": "integrity"})
    return value


def spin(*, emit: Callable[[str, Any], None]) -> None:
    emit("started", {"name": "spin", "step": "correctness"})
    while True:
        time.sleep(0.01)


def hog(megabytes: int, *, emit: Callable[[str, Any], None]) -> int:
    emit("started", {"name": "hog", "step": "correctness"})
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def crash(*, emit: Callable[[str, Any], None]) -> None:
    emit("started", {"name": "crash", "step": "correctness"})
    os.kill(os.getpid(), signal.SIGKILL)


def environment(*, emit: Callable[[str, Any], None]) -> dict[str, str]:
    import resource  # noqa: PLC0415 - only this task needs it

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return {
        "rlimit_as": str(soft),
        "omp": os.environ.get("OMP_NUM_THREADS", ""),
        "pytensor": os.environ.get("PYTENSOR_FLAGS", ""),
        "mpl": os.environ.get("MPLCONFIGDIR", ""),
    }
