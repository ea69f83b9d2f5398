"""Reading untrusted JSON: size first, then bytes (binary? UTF-8?), then nesting depth, then parse.

The depth is measured on the raw bytes before the `json` module sees them, so a nesting bomb
(`[[[[...`) is rejected without recursion; strings are skipped whole so brackets inside them do not
count. Parsing rejects NaN/Infinity (not JSON) and duplicate object keys (ambiguous canonical
form).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pyshepard.registry.validation.results import CheckFailed

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_CHUNK = 1024 * 1024
_SCAN_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class DepthScan:
    depth: int
    offset: int | None


def _blank_strings(data: bytes) -> bytes:
    """`data` with every string literal overwritten by spaces (same length, same offsets)."""
    return _STRING.sub(lambda match: b" " * len(match[0]), data)


def nesting_depth(data: bytes, limit: int) -> DepthScan:
    """The maximum nesting depth of `data`, or the offset of the first bracket that exceeds
    `limit`. Vectorised over chunks, so a file made of millions of brackets scans quickly."""
    structural = _blank_strings(data)
    depth = deepest = 0
    for start in range(0, len(structural), _SCAN_CHUNK):
        chunk = np.frombuffer(
            structural,
            dtype=np.uint8,
            count=min(_SCAN_CHUNK, len(structural) - start),
            offset=start,
        )
        running = np.cumsum(_STEP[chunk], dtype=np.int64) + depth
        over = np.flatnonzero(running > limit)
        if over.size:
            return DepthScan(depth=int(running[over[0]]), offset=start + int(over[0]))
        if running.size:
            deepest = max(deepest, int(running.max()))
            depth = int(running[-1])
    return DepthScan(depth=deepest, offset=None)


def check_size(path: Path, limit: int) -> int:
    """The file's size in bytes; fails without reading it when it is over `limit`."""
    if not path.is_file():
        raise CheckFailed(f"file not found: {path.name}", {"path": str(path)})
    size = path.stat().st_size
    if size > limit:
        raise CheckFailed(
            f"file is {size} bytes, over the limit of {limit} bytes; not read",
            {"size": size, "limit": limit},
        )
    if size == 0:
        raise CheckFailed("file is empty", {"size": 0})
    return size


def read_limited(path: Path, limit: int) -> bytes:
    """Read at most `limit` bytes (a file that grew past the limit since `stat` fails)."""
    chunks: list[bytes] = []
    total = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise CheckFailed(f"file grew over the limit of {limit} bytes while being read")
            chunks.append(chunk)
    return b"".join(chunks)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate object key {key!r}")
        result[key] = value
    return result


def parse_json(data: bytes, *, max_depth: int) -> tuple[Any, dict[str, Any]]:
    """Parse untrusted bytes as JSON; raises CheckFailed with the reason it is not JSON."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CheckFailed(
            f"binary file (NUL byte at offset {nul}), not JSON", {"offset": nul, "reason": "binary"}
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CheckFailed(
            f"not UTF-8 text (invalid byte at offset {error.start}), not JSON",
            {"offset": error.start, "reason": "encoding"},
        ) from error
    if text.startswith("\ufeff"):
        raise CheckFailed("starts with a byte-order mark, which JSON forbids", {"reason": "bom"})
    scan = nesting_depth(data, max_depth)
    if scan.offset is not None:
        raise CheckFailed(
            f"JSON nesting deeper than {max_depth} levels at byte {scan.offset} "
            "(JSON bomb guard); not parsed",
            {"depth_limit": max_depth, "offset": scan.offset, "reason": "depth"},
        )
    try:
        document = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
        )
    except json.JSONDecodeError as error:
        hint = ""
        stripped = text.strip()
        if "\n" not in stripped and stripped.endswith(".json") and "/" in stripped:
            hint = f" (the file holds only the path '{stripped}': an unresolved symlink?)"
        raise CheckFailed(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}{hint}",
            {"reason": "syntax", "line": error.lineno, "column": error.colno},
        ) from error
    except (ValueError, RecursionError) as error:
        raise CheckFailed(f"not valid JSON: {error}", {"reason": "syntax"}) from error
    return document, {"depth": scan.depth, "bytes": len(data)}


def canonical_bytes(document: Any) -> bytes:
    """Canonical JSON: sorted keys, compact separators, UTF-8 (non-ASCII unescaped), numbers as
    Python's `json` writes them. Whitespace and key order no longer change the checksum."""
    return json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def read_json(path: Path, *, max_bytes: int, max_depth: int) -> tuple[Any, bytes]:
    """Size check, guarded parse; returns the document and its raw bytes."""
    check_size(path, max_bytes)
    data = read_limited(path, max_bytes)
    document, _ = parse_json(data, max_depth=max_depth)
    return document, data
