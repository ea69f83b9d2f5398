"""Authentication and request-size middleware (pure ASGI, so 401 comes before any 400)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyshepard.auth import service as auth
from pyshepard.auth.oidc.verifier import OidcVerifier
from pyshepard.core.db import Database
from pyshepard.core.errors import DomainError

PUBLIC_PREFIXES = ("/shepard/api/healthz", "/shepard/api/versionz")
PROTECTED_PREFIX = "/shepard/api/"
# registry and UI: credentials are optional, checked when present
OPTIONAL_PREFIXES = ("/api/", "/ui/")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class AuthenticationMiddleware:
    """Resolves the caller once per request into `request.state.principal`."""

    def __init__(self, app: ASGIApp, *, db: Database, verifier: OidcVerifier) -> None:
        self.app = app
        self.db = db
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        required = path.startswith(PROTECTED_PREFIX) and not path.startswith(PUBLIC_PREFIXES)
        optional = path.startswith(OPTIONAL_PREFIXES)
        if not (required or optional):
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        api_key = _header(scope, b"x-api-key")
        if optional and not required and not authorization and not api_key:
            await self.app(scope, receive, send)
            return
        # API-key checks only read (the signing key exists once a key was ever issued), so they
        # need no write lock; OIDC logins may create or refresh the user.
        uow = self.db.unit_of_work(read_only=not (authorization or "").startswith("Bearer "))
        try:
            principal = await auth.authenticate(
                uow, self.verifier, authorization=authorization, api_key=api_key
            )
            await uow.commit()
        except DomainError as exc:
            await uow.rollback()
            await _send_json(
                send,
                exc.status,
                {"status": exc.status, "exception": exc.exception, "message": exc.message},
            )
            return
        finally:
            await uow.session.close()
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """413 for JSON/form bodies above the limit. Multipart uploads stream and are exempt."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        if content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_json(send, 413, _too_large(self.max_bytes))
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if too_large and not response_started:
            await _send_json(send, 413, _too_large(self.max_bytes))


def _too_large(limit: int) -> dict[str, Any]:
    return {
        "status": 413,
        "exception": "PayloadTooLargeException",
        "message": f"Request body larger than {limit} bytes",
    }
