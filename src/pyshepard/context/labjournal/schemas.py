"""Wire models of upstream's `LabJournalEntry` and `InvalidHtmlResponse` schemas."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from pyshepard.context.collections.schemas import Text, read_only


class LabJournalEntry(BaseModel):
    dataObjectId: int | None = read_only(format="int64")  # noqa: N815 - wire name
    journalContent: Text  # noqa: N815
    id: int | None = read_only(format="int64")
    createdAt: str | None = read_only(format="date-time")  # noqa: N815
    createdBy: str | None = read_only()  # noqa: N815
    updatedAt: str | None = read_only(format="date-time", nullable=True)  # noqa: N815
    updatedBy: str | None = read_only(nullable=True)  # noqa: N815


class LabJournalContent(BaseModel):
    """The body of `PUT /labJournalEntries/{id}`: only the content can change."""

    journalContent: Text  # noqa: N815 - wire name


class InvalidHtmlResponse(BaseModel):
    message: str
    exception: str = "BadRequestException"
    status: Literal["BAD_REQUEST"] = "BAD_REQUEST"
    suppliedHtml: str  # noqa: N815 - wire name
    sanitizedHtml: str  # noqa: N815


INVALID_HTML_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": InvalidHtmlResponse, "description": "bad request"}
}
