from __future__ import annotations

from typing import Any

from pyshepard.core.errors import InvalidInput

UNSAFE_HTML = (
    "You provided invalid or unsecure Html to the Api. Please make sure that your provided Html "
    "does not contain any invalid tags or attributes. See the 'sanitizedHtml' field to find out "
    "which tags and attributes were removed during sanitization."
)


class UnsafeHtml(InvalidInput):
    """Journal content the safe-list would change; rendered as upstream's InvalidHtmlResponse."""

    exception = "BadRequestException"

    def __init__(self, supplied: str, sanitized: str) -> None:
        super().__init__(UNSAFE_HTML)
        self.supplied = supplied
        self.sanitized = sanitized

    def response_body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "exception": self.exception,
            "status": "BAD_REQUEST",
            "suppliedHtml": self.supplied,
            "sanitizedHtml": self.sanitized,
        }
