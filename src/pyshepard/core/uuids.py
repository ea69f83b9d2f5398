"""UUIDs as upstream's Hibernate `@UUID` accepts them (its defaults): lower case, versions 1-5,
variants 0-2, or the nil UUID."""

from __future__ import annotations

import re

UUID_PATTERN = (
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[0-9a-d][0-9a-f]{3}-[0-9a-f]{12}"
    r"|00000000-0000-0000-0000-000000000000"
)
_HIBERNATE_UUID = re.compile(UUID_PATTERN)


def is_valid_uuid(value: str) -> bool:
    return _HIBERNATE_UUID.fullmatch(value) is not None
