"""Reference use cases, one module per kind; `common` holds what all kinds share."""

from __future__ import annotations

from pyshepard.context.references.service.basic import (
    delete_basic_reference,
    get_basic_reference,
    list_basic_references,
)
from pyshepard.context.references.service.collection import (
    create_collection_reference,
    delete_collection_reference,
    get_collection_reference,
    get_collection_reference_payload,
    list_collection_references,
)
from pyshepard.context.references.service.data_object import (
    create_data_object_reference,
    delete_data_object_reference,
    get_data_object_reference,
    get_data_object_reference_payload,
    list_data_object_references,
)
from pyshepard.context.references.service.uri import (
    create_uri_reference,
    delete_uri_reference,
    get_uri_reference,
    list_uri_references,
)

__all__ = [
    "create_collection_reference",
    "create_data_object_reference",
    "create_uri_reference",
    "delete_basic_reference",
    "delete_collection_reference",
    "delete_data_object_reference",
    "delete_uri_reference",
    "get_basic_reference",
    "get_collection_reference",
    "get_collection_reference_payload",
    "get_data_object_reference",
    "get_data_object_reference_payload",
    "get_uri_reference",
    "list_basic_references",
    "list_collection_references",
    "list_data_object_references",
    "list_uri_references",
]
