"""Model registry use cases: submit, read, search, review, publish, re-validate, webhooks.

Visibility: anonymous callers see approved models only (their newest approved version); a
logged-in caller also sees their own submissions; reviewers and admins see everything.
Fetch, then check: an invisible model is a 404, a visible one the caller may not change a 403.

One module per use case; this package re-exports what api.py, tasks.py and the CLI call.
"""

from pyshepard.registry.service.common import (
    ARTEFACT_PREFIX,
    BLOB_PREFIX,
    DELIVER_JOB,
    MAX_PAGE_SIZE,
    MEDIA_TYPES,
    PUBLISHED,
    VALIDATE_JOB,
    Download,
    semver_key,
    validation_config,
)
from pyshepard.registry.service.pipeline import (
    RunMaterial,
    StoredArtefact,
    begin_run,
    fail_run,
    failure_report,
    finish_run,
)
from pyshepard.registry.service.publication import delete_model, review_model, update_metadata
from pyshepard.registry.service.queries import (
    filter_models,
    list_models,
    list_versions,
    model_metadata,
    open_file,
    search_models,
)
from pyshepard.registry.service.rendering import render_entry
from pyshepard.registry.service.runs import (
    badge,
    installed_engines,
    list_artefacts,
    list_runs,
    open_artefact,
    report,
    report_markdown,
    revalidate_all,
    revalidate_changed_engines,
    start_validation,
)
from pyshepard.registry.service.submission import UploadPart, submit_model
from pyshepard.registry.service.webhooks import (
    create_webhook,
    delete_webhook,
    list_webhooks,
    sign,
    webhook_for_delivery,
)

__all__ = [
    "ARTEFACT_PREFIX",
    "BLOB_PREFIX",
    "DELIVER_JOB",
    "MAX_PAGE_SIZE",
    "MEDIA_TYPES",
    "PUBLISHED",
    "VALIDATE_JOB",
    "Download",
    "RunMaterial",
    "StoredArtefact",
    "UploadPart",
    "badge",
    "begin_run",
    "create_webhook",
    "delete_model",
    "delete_webhook",
    "fail_run",
    "failure_report",
    "filter_models",
    "finish_run",
    "installed_engines",
    "list_artefacts",
    "list_models",
    "list_runs",
    "list_versions",
    "list_webhooks",
    "model_metadata",
    "open_artefact",
    "open_file",
    "render_entry",
    "report",
    "report_markdown",
    "revalidate_all",
    "revalidate_changed_engines",
    "review_model",
    "search_models",
    "semver_key",
    "sign",
    "start_validation",
    "submit_model",
    "update_metadata",
    "validation_config",
    "webhook_for_delivery",
]
