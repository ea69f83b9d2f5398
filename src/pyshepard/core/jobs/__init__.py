"""Durable background jobs (design D7): `enqueue` in the caller's unit of work, `JobRunner`
claims and runs them in the server (embedded) or in `pyshepard worker` processes."""

from pyshepard.core.jobs.models import Job, JobStatus
from pyshepard.core.jobs.periodic import Periodic, run_periodically
from pyshepard.core.jobs.queue import enqueue, get_job
from pyshepard.core.jobs.runner import FailureHook, Handler, JobRunner, default_worker_id

__all__ = [
    "FailureHook",
    "Handler",
    "Job",
    "JobRunner",
    "JobStatus",
    "Periodic",
    "default_worker_id",
    "enqueue",
    "get_job",
    "run_periodically",
]
