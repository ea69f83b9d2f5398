"""`pyshepard worker`: a job-runner process (any number of them, on the same database)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from pyshepard import worker as job_worker
from pyshepard.cli.common import load_settings, prepare


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at the same time.")] = 1,
) -> None:
    """Run background jobs until SIGTERM/SIGINT (the first lets running jobs finish)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    prepare(settings)
    job_worker.run(settings, concurrency=concurrency)
