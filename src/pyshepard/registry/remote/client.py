"""A small synchronous HTTP client of a pyshepard server's `/api/models` registry API."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO

import httpx

API = "/api/models"
PAGE_SIZE = 100
CHUNK = 1 << 20
RETRIES = 5  # reads answered 429/503 with Retry-After (anonymous reads are rate-limited)
MAX_RETRY_AFTER = 120.0
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class RegistryError(Exception):
    """The server answered with an error status or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Upload:
    """A file to send: its name on the wire and where its bytes are."""

    name: str
    path: Path


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "detail", "title"):
            if key in body:
                value = body[key]
                return value if isinstance(value, str) else json.dumps(value)[:300]
    return json.dumps(body)[:300]


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited (429) or unavailable (503) read; None when
    the answer is final (another status, or no usable Retry-After up to MAX_RETRY_AFTER)."""
    if response.status_code not in {429, 503}:
        return None
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None


def _check_etag(path: str, response: httpx.Response, hex_digest: str) -> None:
    """The registry's ETag is the sha256 of the bytes: a download that differs is an error."""
    etag = response.headers.get("etag", "").removeprefix("W/").strip('"')
    if SHA256_HEX.fullmatch(etag) and etag != hex_digest:
        raise RegistryError(f"GET {path}: the bytes have sha256 {hex_digest}, the ETag says {etag}")


def _attachment_name(header: str | None) -> str | None:
    """The file name of a Content-Disposition header (RFC 6266, `filename*` preferred)."""
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    name = message.get_filename()
    return name if isinstance(name, str) else None


class RegistryClient:
    """`/api/models` calls; every error (HTTP status, transport) becomes a `RegistryError`."""

    def __init__(
        self,
        server: str,
        *,
        api_key: str | None = None,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["X-API-KEY"] = api_key
        self.server = server.rstrip("/")
        self._http = httpx.Client(
            base_url=self.server, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(RETRIES + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise RegistryError(f"{method} {self.server}{path}: {exc}") from exc
            wait = _retry_after(response) if method == "GET" and attempt < RETRIES else None
            if wait is None:
                break
            time.sleep(wait)
        if response.status_code >= 400:
            raise RegistryError(
                f"{method} {path}: HTTP {response.status_code}: {_error_text(response)}",
                status=response.status_code,
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise RegistryError(f"{method} {path}: the answer is not JSON") from exc

    def list_models(self) -> Iterator[dict[str, Any]]:
        """Every model the caller may see, page by page (pages count from 0)."""
        page = 0
        while True:
            body = self._json("GET", API, params={"page": page, "size": PAGE_SIZE})
            items = body.get("items", []) if isinstance(body, dict) else body
            if not isinstance(items, list):
                raise RegistryError(f"GET {API}: expected a list of entries")
            yield from (item for item in items if isinstance(item, dict))
            if len(items) < PAGE_SIZE:
                return
            page += 1

    def get_model(self, model_id: str) -> dict[str, Any] | None:
        """The entry of a model (its latest version), or None when the server has no such model."""
        try:
            body = self._json("GET", f"{API}/{model_id}")
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) else None

    def versions(self, model_id: str) -> list[dict[str, Any]]:
        """The versions of a model, each a dict with at least `version` and `checksum`."""
        body = self._json("GET", f"{API}/{model_id}/versions")
        items = body.get("items", body.get("versions", [])) if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise RegistryError(f"GET {API}/{model_id}/versions: expected a list")
        return [item for item in items if isinstance(item, dict)]

    def metadata(self, model_id: str, version: str) -> dict[str, Any]:
        """The concept and version facts of one version (`GET /{id}/metadata?version=`)."""
        body = self._json("GET", f"{API}/{model_id}/metadata", params={"version": version})
        if not isinstance(body, dict):
            raise RegistryError(f"GET {API}/{model_id}/metadata: expected an object")
        return body

    def download(
        self, path: str, target: Path, *, params: dict[str, str] | None = None
    ) -> tuple[str, str | None]:
        """Stream a file to `target`; returns (`sha256:<hex>` of the bytes written, the file
        name the server gives in Content-Disposition, if any)."""
        digest = hashlib.sha256()
        target.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(RETRIES + 1):
            try:
                with self._http.stream("GET", path, params=params) as response:
                    wait = _retry_after(response) if attempt < RETRIES else None
                    if wait is None and response.status_code >= 400:
                        response.read()
                        raise RegistryError(
                            f"GET {path}: HTTP {response.status_code}: {_error_text(response)}",
                            status=response.status_code,
                        )
                    if wait is None:
                        with target.open("wb") as sink:
                            for chunk in response.iter_bytes(CHUNK):
                                digest.update(chunk)
                                sink.write(chunk)
                        _check_etag(path, response, digest.hexdigest())
                        name = _attachment_name(response.headers.get("content-disposition"))
                        return f"sha256:{digest.hexdigest()}", name
            except httpx.HTTPError as exc:
                raise RegistryError(f"GET {self.server}{path}: {exc}") from exc
            time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def submit(
        self,
        entry: dict[str, Any],
        model: Upload,
        *,
        reference_points: Upload | None = None,
        companions: list[Upload] | None = None,
    ) -> dict[str, Any]:
        """POST one version (multipart: entry JSON text, file, reference_points, companion...)."""
        handles: list[BinaryIO] = []
        try:
            files: list[tuple[str, tuple[str, BinaryIO, str]]] = []
            uploads = [("file", model)]
            if reference_points is not None:
                uploads.append(("reference_points", reference_points))
            uploads += [("companion", companion) for companion in companions or []]
            for field, upload in uploads:
                stream: BinaryIO = upload.path.open("rb")
                handles.append(stream)
                files.append((field, (upload.name, stream, "application/json")))
            body = self._json("POST", API, data={"entry": json.dumps(entry)}, files=files)
        finally:
            for handle in handles:
                handle.close()
        if not isinstance(body, dict):
            raise RegistryError(f"POST {API}: expected the created entry")
        return body
