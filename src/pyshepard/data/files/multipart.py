"""A pull-based streaming reader for the one file field of a multipart/form-data body.

The body is fed chunk by chunk into python-multipart's push parser; the bytes of the wanted
field come out as an async iterator of ~1 MiB chunks, so memory stays flat whatever the size.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from pyshepard.data.files.errors import UnsupportedMediaType, UploadInvalid

CHUNK = 1024 * 1024
MAX_FILENAME = 4096
_EXTENDED_FILENAME = re.compile(rb"filename\*\s*=\s*([\w!#$%&+^`{}~-]+)'[^']*'([^;\s]+)", re.I)

_Event = tuple[str, Any]


@dataclass(frozen=True)
class FilePart:
    filename: str | None
    chunks: AsyncIterator[bytes]


async def open_file_part(
    content_type: str, body: AsyncIterator[bytes], *, field: str = "file"
) -> FilePart:
    """Reads up to the headers of the `field` part; its bytes follow lazily.

    Raises UnsupportedMediaType (not multipart) and UploadInvalid (no such part, broken body).
    """
    media_type, options = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise UnsupportedMediaType(
            f"Upload a file as multipart/form-data with a '{field}' field, not {content_type!r}"
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadInvalid("The multipart/form-data content type has no boundary")
    reader = _Reader(boundary, body)
    while (event := await reader.next()) is not None:
        kind, headers = event
        if kind != "headers":
            continue
        disposition = headers.get(b"content-disposition", b"")
        _, params = parse_options_header(disposition)
        if params.get(b"name", b"").decode("latin-1") == field:
            return FilePart(_filename(disposition, params), reader.part_data())
        await reader.skip_part()
    raise UploadInvalid(
        f"The upload has no '{field}' field: send the file as multipart/form-data field '{field}'"
    )


def _filename(disposition: bytes, params: dict[bytes, bytes]) -> str | None:
    extended = _EXTENDED_FILENAME.search(disposition)
    if extended:
        charset = extended.group(1).decode("ascii")
        try:
            name = unquote(extended.group(2).decode("ascii"), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            raise UploadInvalid("The file name is not valid in its declared charset") from None
    elif b"filename" in params:
        raw = params[b"filename"]
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("latin-1")
    else:
        return None
    if "\x00" in name or len(name) > MAX_FILENAME:
        raise UploadInvalid(f"The file name must be at most {MAX_FILENAME} characters without NUL")
    return name


class _Reader:
    def __init__(self, boundary: bytes, body: AsyncIterator[bytes]) -> None:
        self.body = body.__aiter__()
        self.events: deque[_Event] = deque()
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        self.events.append(("headers", self._headers))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        whole = start == 0 and end == len(data) and isinstance(data, bytes)
        self.events.append(("data", data if whole else bytes(data[start:end])))

    def _part_end(self) -> None:
        self.events.append(("end", None))

    def _end(self) -> None:
        self.ended = True

    async def next(self) -> _Event | None:
        while not self.events:
            if self.ended:
                return None
            chunk = await anext(self.body, None)
            if chunk is None:
                raise UploadInvalid("The multipart/form-data body ended before its last boundary")
            try:
                self.parser.write(chunk)
            except MultipartParseError as exc:
                raise UploadInvalid(f"The multipart/form-data body is malformed: {exc}") from None
        return self.events.popleft()

    async def skip_part(self) -> None:
        while (event := await self.next()) is not None and event[0] != "end":
            pass

    async def part_data(self) -> AsyncIterator[bytes]:
        """The current part's bytes in chunks of about CHUNK bytes (one copy each)."""
        pieces: list[bytes] = []
        pending = 0
        while (event := await self.next()) is not None:
            kind, data = event
            if kind == "end":
                break
            pieces.append(data)
            pending += len(data)
            if pending >= CHUNK:
                yield b"".join(pieces)
                pieces.clear()
                pending = 0
        else:
            raise UploadInvalid("The multipart/form-data body ended inside the file")
        if pieces:
            yield b"".join(pieces)
