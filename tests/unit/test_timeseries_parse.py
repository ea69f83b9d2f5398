"""parse_batch: the struct fast path and the general path give the same answers."""

from __future__ import annotations

import pytest

from pyshepard.core.errors import ConstraintViolation, InvalidBody
from pyshepard.data.timeseries.ingest import parse_batch
from pyshepard.data.timeseries.rules import BAD_VALUES

KEY = b'"timeseries":{"measurement":"m","device":"d","location":"l","symbolicName":"s","field":"f"}'


def _body(points: bytes, extra: bytes = b"") -> bytes:
    return b"{" + KEY + b',"points":' + points + extra + b"}"


def test_a_well_formed_batch() -> None:
    batch = parse_batch(_body(b'[{"timestamp":1,"value":1.5},{"timestamp":"12","value":true}]'))
    assert batch.timestamps == [1, 12]
    assert batch.values == [1.5, True]
    assert batch.key.symbolic_name == "s"


def test_missing_parts_of_a_point_read_as_jackson_does() -> None:
    batch = parse_batch(_body(b'[{"value":2,"unknown":0},{"timestamp":5}]', b',"more":[]'))
    assert batch.timestamps == [0, 5]
    assert batch.values == [2, None]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_body(b'[{"timestamp":123456789012345678901234,"value":1}]'), "Timestamps must fit"),
        (_body(b'[{"timestamp":1,"value":"\\ud800"}]'), "Malformed JSON body"),
        (_body(b'[{"timestamp":1e400,"value":1}]'), "Malformed JSON body"),
        (_body(b'[{"timestamp":1,"value":1}]') + b" trailing", "Malformed JSON body"),
        (_body(b"[[1,2]]"), BAD_VALUES),
        (_body(b'[{"timestamp":1.5,"value":1}]'), "Invalid timestamp 1.5"),
        (b"[]", "The body must be a JSON object"),
    ],
)
def test_bad_bodies_are_invalid_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(InvalidBody) as raised:
        parse_batch(body)
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"points":[{"timestamp":1,"value":1}]}', "timeseries"),
        (b'{"timeseries":null,"points":[{"timestamp":1,"value":1}]}', "timeseries"),
        (_body(b"[]"), "points"),
        (_body(b'"none"'), "points"),
    ],
)
def test_missing_parts_are_constraint_violations(body: bytes, field: str) -> None:
    with pytest.raises(ConstraintViolation) as raised:
        parse_batch(body)
    assert raised.value.violations[0]["field"] == f"createTimeseries.payload.{field}"
