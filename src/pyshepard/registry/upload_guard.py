"""Checks on an uploaded model file while it streams to the blob store: size limit, not binary,
UTF-8, a JSON object/array at the top, nesting depth. Pure Python and incremental, so nothing
is held whole in memory and a nesting bomb is stopped at its first excess bracket."""

from __future__ import annotations

import codecs
import re

from pyshepard.core.errors import InvalidInput, PayloadTooLarge

_QUOTE_OR_ESCAPE = re.compile(rb'["\\]')
_BRACKET = re.compile(rb"[\[\]{}]")
_WHITESPACE = b" \t\r\n"


class StreamGuard:
    """Feed every chunk to `feed`, then call `finish`; raises InvalidInput / PayloadTooLarge."""

    def __init__(self, label: str, *, max_bytes: int, max_depth: int, opening: bytes) -> None:
        self.label = label
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.opening = opening
        self.size = 0
        self.depth = 0
        self.started = False
        self.in_string = False
        self.escape = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"{self.label} is larger than the limit of {self.max_bytes} bytes "
                "(setting registry_max_upload_bytes)"
            )
        if b"\x00" in chunk:
            raise InvalidInput(f"{self.label} is binary (contains NUL bytes), not JSON")
        try:
            self.decoder.decode(chunk)
        except UnicodeDecodeError:
            raise InvalidInput(f"{self.label} is not UTF-8 text, so not JSON") from None
        if not self.started:
            stripped = chunk.lstrip(_WHITESPACE)
            if not stripped:
                return
            if stripped.startswith(codecs.BOM_UTF8):
                raise InvalidInput(f"{self.label} starts with a byte-order mark; JSON has none")
            if stripped[:1] not in self.opening:
                expected = " or ".join(repr(c) for c in self.opening.decode())
                raise InvalidInput(f"{self.label} is not JSON: it must start with {expected}")
            self.started = True
        self._scan(chunk)

    def finish(self) -> int:
        if self.size == 0 or not self.started:
            raise InvalidInput(f"{self.label} is empty")
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInput(f"{self.label} ends inside a UTF-8 character") from None
        if self.in_string or self.depth != 0:
            raise InvalidInput(f"{self.label} is not JSON: unbalanced brackets or quotes")
        return self.size

    def _scan(self, data: bytes) -> None:
        position = 0
        end = len(data)
        while position < end:
            if self.in_string:
                position = self._skip_string(data, position)
                continue
            quote = data.find(b'"', position)
            stop = end if quote < 0 else quote
            self._count(data, position, stop)
            if quote < 0:
                return
            self.in_string = True
            position = quote + 1

    def _skip_string(self, data: bytes, position: int) -> int:
        if self.escape:
            self.escape = False
            position += 1
        while True:
            match = _QUOTE_OR_ESCAPE.search(data, position)
            if match is None:
                return len(data)
            if match.group() == b"\\":
                if match.end() >= len(data):
                    self.escape = True
                    return len(data)
                position = match.end() + 1
                continue
            self.in_string = False
            return match.end()

    def _count(self, data: bytes, start: int, stop: int) -> None:
        for match in _BRACKET.finditer(data, start, stop):
            if match.group() in b"[{":
                self.depth += 1
                if self.depth > self.max_depth:
                    raise InvalidInput(
                        f"{self.label} nests deeper than {self.max_depth} levels "
                        f"(at byte {match.start()} of a chunk); refused"
                    )
            else:
                self.depth -= 1
                if self.depth < 0:
                    raise InvalidInput(f"{self.label} is not JSON: unbalanced brackets")
