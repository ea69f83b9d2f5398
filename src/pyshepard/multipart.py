"""Streaming multipart/form-data for the HTTP layer (the files and registry routers).

The request body is fed chunk by chunk into python-multipart's push parser; parts come out one
at a time, each part's bytes as an async iterator of ~1 MiB chunks, so memory stays flat
whatever the size. Broken bodies raise `InvalidBody` (400), other media types
`UnsupportedMediaType` (415).
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
from starlette.requests import ClientDisconnect, Request

from pyshepard.core.errors import InvalidBody, UnsupportedMediaType
from pyshepard.core.text import storable

CHUNK = 1024 * 1024
MAX_FILENAME = 4096
_EXTENDED_FILENAME = re.compile(rb"filename\*\s*=\s*([\w!#$%&+^`{}~-]+)'[^']*'([^;\s]+)", re.I)

Event = tuple[str, Any]


@dataclass(frozen=True)
class FormPart:
    """One form field: its name, the file name it was sent with (if any) and its bytes."""

    name: str
    filename: str | None
    chunks: AsyncIterator[bytes]


async def request_body(request: Request) -> AsyncIterator[bytes]:
    """The request's body as it arrives; a client that goes away is an `InvalidBody`."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise InvalidBody("The client disconnected during the upload") from None


def form_boundary(content_type: str, *, wrong_type: str) -> bytes:
    """The boundary of a multipart/form-data content type. Raises UnsupportedMediaType with
    `wrong_type` (plus the content type received) and InvalidBody (no boundary)."""
    media_type, options = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise UnsupportedMediaType(f"{wrong_type}, not {content_type!r}")
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidBody("The multipart/form-data content type has no boundary")
    return bytes(boundary)


async def form_parts(
    content_type: str, body: AsyncIterator[bytes], *, wrong_type: str
) -> AsyncIterator[FormPart]:
    """Every part of the form in order. Read a part's chunks before asking for the next part;
    whatever a consumer leaves unread is skipped."""
    reader = MultipartReader(form_boundary(content_type, wrong_type=wrong_type), body)
    while (part := await reader.next_part()) is not None:
        yield part
        async for _ in part.chunks:  # whatever the consumer left unread
            pass


# the charsets RFC 8187 names for `filename*`; any other Python codec (e.g. unicode_escape)
# could decode to text no database row can hold
_FILENAME_CHARSETS = {"utf-8", "utf8", "iso-8859-1", "latin-1", "latin1"}


def part_filename(disposition: bytes, params: dict[bytes, bytes]) -> str | None:
    """The file name of a Content-Disposition header (`filename*` preferred); raises
    InvalidBody for an undecodable name, a NUL or more than MAX_FILENAME characters."""
    extended = _EXTENDED_FILENAME.search(disposition)
    if extended:
        charset = extended.group(1).decode("ascii")
        if charset.lower().replace("_", "-") not in _FILENAME_CHARSETS:
            raise InvalidBody(f"The file name's charset must be UTF-8 or ISO-8859-1, not {charset}")
        try:
            name = unquote(extended.group(2).decode("ascii"), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            raise InvalidBody("The file name is not valid in its declared charset") from None
    elif b"filename" in params:
        raw = params[b"filename"]
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("latin-1")
    else:
        return None
    if not storable(name) or len(name) > MAX_FILENAME:
        raise InvalidBody(f"The file name must be at most {MAX_FILENAME} characters without NUL")
    return name


class MultipartReader:
    """A pull-based reader over python-multipart's push parser."""

    def __init__(self, boundary: bytes, body: AsyncIterator[bytes]) -> None:
        self.body = body.__aiter__()
        self.events: deque[Event] = deque()
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

    async def next(self) -> Event | None:
        """The next parser event (`headers`, `data`, `end`), None after the last boundary."""
        while not self.events:
            if self.ended:
                return None
            chunk = await anext(self.body, None)
            if chunk is None:
                raise InvalidBody("The multipart/form-data body ended before its last boundary")
            try:
                self.parser.write(chunk)
            except MultipartParseError as exc:
                raise InvalidBody(f"The multipart/form-data body is malformed: {exc}") from None
        return self.events.popleft()

    async def next_part(self) -> FormPart | None:
        """Skip to the next part's headers; its bytes follow lazily in `chunks`."""
        while (event := await self.next()) is not None:
            kind, headers = event
            if kind != "headers":
                continue
            disposition = headers.get(b"content-disposition", b"")
            _, params = parse_options_header(disposition)
            name = params.get(b"name", b"").decode("latin-1")
            return FormPart(name, part_filename(disposition, params), self.part_data())
        return None

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
            raise InvalidBody("The multipart/form-data body ended inside the file")
        if pieces:
            yield b"".join(pieces)
