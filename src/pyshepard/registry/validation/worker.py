"""Sandboxed worker process: `python -m pyshepard.registry.validation.worker IN_FD OUT_FD MB`.

It caps its address space (RLIMIT_AS) before importing numpy or any engine, then runs tasks the
parent sends, reporting progress events; a task that exceeds the memory cap fails with
MemoryError (or kills this process, which the parent reports); one that runs too long is killed
by the parent. Tasks are `module:function` references sent by the parent (trusted).
"""

from __future__ import annotations

import ctypes
import importlib
import resource
import signal
import sys
import traceback
import warnings
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the validating process dies (best effort)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _resolve(reference: str) -> Any:
    module_name, _, function_name = reference.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def serve(inbox: Connection, outbox: Connection) -> None:
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return
        if message is None:
            return
        task_id, reference, args = message

        def emit(kind: str, payload: Any, task_id: int = task_id) -> None:
            outbox.send((task_id, kind, payload))

        try:
            result = _resolve(reference)(*args, emit=emit)
        except MemoryError:
            outbox.send((task_id, "error", "memory limit exceeded"))
        except Exception as error:  # report every failure to the parent, then carry on
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            outbox.send((task_id, "error", detail, traceback.format_exc()[-4000:]))
        else:
            outbox.send((task_id, "done", result))


def main(argv: list[str]) -> None:
    in_fd, out_fd, megabytes = int(argv[1]), int(argv[2]), int(argv[3])
    die_with_parent()
    limit_memory(megabytes)
    warnings.simplefilter("ignore")
    serve(Connection(in_fd, writable=False), Connection(out_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv)
