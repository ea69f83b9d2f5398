"""Blob storage behind one interface: a local folder (default) or S3 (see issue 3)."""

from pyshepard.core.blobs.base import (
    BlobEntry,
    BlobInfo,
    BlobMissing,
    BlobStore,
    open_blob_store,
)

__all__ = ["BlobEntry", "BlobInfo", "BlobMissing", "BlobStore", "open_blob_store"]
