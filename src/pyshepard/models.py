"""Imports every table so Alembic and the drift test see the whole schema."""

from typing import Any

from pyshepard.auth.apikeys.models import ApiKey, SigningKey
from pyshepard.auth.groups.models import UserGroup, UserGroupMember
from pyshepard.auth.permissions.models import Permission, PermissionGrant, PermissionGroupGrant
from pyshepard.auth.users.models import User
from pyshepard.context.collections.models import Collection
from pyshepard.context.dataobjects.models import DataObject, DataObjectLink
from pyshepard.context.labjournal.models import LabJournalEntry
from pyshepard.context.references.models import Reference
from pyshepard.context.semantic.models import SemanticAnnotation, SemanticRepository
from pyshepard.core.db import Base
from pyshepard.core.ids import entity_id_allocator
from pyshepard.core.jobs.models import Job
from pyshepard.data.containers.models import Container
from pyshepard.data.files.models import StoredFile
from pyshepard.data.spatial.models import UNMANAGED_TABLE_PREFIX
from pyshepard.data.structured.models import StructuredDocument
from pyshepard.data.timeseries.models import Channel
from pyshepard.registry.models import (
    RegistryModel,
    RegistryModelVersion,
    RegistryWebhook,
    Review,
    ValidationRun,
)
from pyshepard.subscriptions.models import Subscription

metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:  # noqa: ARG001
    """Alembic's autogenerate filter, applied before reflection: hand-written tables (spatial)
    and extension tables are outside the models, so they are neither compared nor dropped."""
    return not (type_ == "table" and (name or "").startswith(UNMANAGED_TABLE_PREFIX))


__all__ = [
    "ApiKey",
    "Channel",
    "Collection",
    "Container",
    "DataObject",
    "DataObjectLink",
    "Job",
    "LabJournalEntry",
    "Permission",
    "PermissionGrant",
    "PermissionGroupGrant",
    "Reference",
    "RegistryModel",
    "RegistryModelVersion",
    "RegistryWebhook",
    "Review",
    "SemanticAnnotation",
    "SemanticRepository",
    "SigningKey",
    "StoredFile",
    "StructuredDocument",
    "Subscription",
    "User",
    "UserGroup",
    "UserGroupMember",
    "ValidationRun",
    "entity_id_allocator",
    "include_name",
    "metadata",
]
