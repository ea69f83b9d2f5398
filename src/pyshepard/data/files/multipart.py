"""The one file field of a multipart/form-data upload, streamed (see `pyshepard.multipart`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from pyshepard.core.errors import InvalidBody
from pyshepard.multipart import MultipartReader, form_boundary


@dataclass(frozen=True)
class FilePart:
    filename: str | None
    chunks: AsyncIterator[bytes]


async def open_file_part(
    content_type: str, body: AsyncIterator[bytes], *, field: str = "file"
) -> FilePart:
    """Reads up to the headers of the `field` part; its bytes follow lazily.

    Raises UnsupportedMediaType (not multipart) and InvalidBody (no such part, broken body).
    """
    boundary = form_boundary(
        content_type,
        wrong_type=f"Upload a file as multipart/form-data with a '{field}' field",
    )
    reader = MultipartReader(boundary, body)
    while (part := await reader.next_part()) is not None:
        if part.name == field:
            return FilePart(part.filename, part.chunks)
        await reader.skip_part()
    raise InvalidBody(
        f"The upload has no '{field}' field: send the file as multipart/form-data field '{field}'"
    )
