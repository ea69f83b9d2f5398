"""CSV import and export in upstream's formats (`CsvConverter`, `CsvRowLineProvider`,
`CsvColumnLineProvider`): opencsv quoting, Java's number formatting, `\\n` line ends."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pyshepard.core.errors import InvalidBody
from pyshepard.data.timeseries.rules import INT64_MAX, INT64_MIN, ChannelKey

ROW_HEADER = "DEVICE,FIELD,LOCATION,MEASUREMENT,SYMBOLICNAME,TIMESTAMP,VALUE\n"
# header name (upper-cased, as opencsv matches them) → property name in messages
_REQUIRED = {
    "TIMESTAMP": "timestamp",
    "MEASUREMENT": "measurement",
    "DEVICE": "device",
    "LOCATION": "location",
    "SYMBOLICNAME": "symbolicName",
    "FIELD": "field",
}
_LONG = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?")
_INT32 = (-(2**31), 2**31 - 1)

Series = tuple[ChannelKey, Sequence[tuple[int, Any]]]
Parsed = dict[ChannelKey, tuple[list[int], list[Any]]]


def java_double(value: float) -> str:
    """Java's Double.toString (shortest digits, as JDK 19+ prints them)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text:  # pragma: no cover - repr is positional in this range
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    _, digits, exponent = Decimal(repr(magnitude)).normalize().as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite by the checks above
    numerals = "".join(map(str, digits))
    scientific_exponent = exponent + len(numerals) - 1
    mantissa = numerals[0] + "." + (numerals[1:] or "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{mantissa}E{scientific_exponent}"


def java_string(value: Any) -> str:
    """Objects.toString of a point value (null → empty)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return java_double(value)
    return str(value)


def _cell(text: str) -> str:
    """opencsv's CSVWriter without quote-all: quote only what needs it, doubling quotes."""
    if any(special in text for special in ('"', ",", "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(cells: Sequence[str]) -> str:
    return ",".join(_cell(cell) for cell in cells) + "\n"


def row_csv(series: Sequence[Series]) -> bytes:
    """One line per point; no header at all when there is no point (as upstream)."""
    out = io.StringIO()
    for key, points in series:
        if not points:
            continue
        if not out.tell():
            out.write(ROW_HEADER)
        prefix = ",".join(_cell(part) for part in key.csv_order()) + ","
        for timestamp, value in points:
            out.write(prefix + str(timestamp) + "," + _cell(java_string(value)) + "\n")
    return out.getvalue().encode("utf-8")


def column_csv(series: Sequence[Series]) -> bytes:
    """One line per timestamp, one column per channel, empty cells where a channel has none."""
    header = ["timestamp"]
    for key, _ in series:
        header.append(
            "-".join((key.measurement, key.device, key.location, key.symbolic_name, key.field))
        )
    table: dict[int, list[str]] = {}
    for index, (_, points) in enumerate(series):
        for timestamp, value in points:
            row = table.setdefault(timestamp, [""] * len(series))
            row[index] = java_string(value)
    out = io.StringIO()
    out.write(_line(header))
    for timestamp in sorted(table):
        out.write(_line([str(timestamp), *table[timestamp]]))
    return out.getvalue().encode("utf-8")


def parse_value(text: str) -> Any:
    """CsvConverter.parseValue: int → double → true/false → the string itself; blank → None."""
    if not text.strip():
        return None
    if _LONG.fullmatch(text):
        number = int(text)
        # Integer.parseInt first; larger integers become doubles upstream
        return number if _INT32[0] <= number <= _INT32[1] else float(number)
    if _DECIMAL.fullmatch(text):
        parsed = float(text.rstrip("dDfF"))
        if math.isinf(parsed):
            raise InvalidBody(f"Value {text} is out of the range of a double")
        return parsed
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def parse_csv(data: bytes) -> Parsed:
    """Points grouped by channel, in order of first appearance; raises InvalidBody."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidBody("Invalid CSV: the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidBody("Invalid CSV: the file has no header line")
        columns = {name.strip().upper(): index for index, name in enumerate(header)}
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise InvalidBody(
                f"Header is missing required fields [{', '.join(missing)}]. "
                f"The list of headers encountered is [{','.join(header)}]."
            )
        return _rows(reader, columns, len(header))
    except csv.Error as exc:
        raise InvalidBody(f"Invalid CSV: {exc} (line {reader.line_num})") from None


def _rows(reader: Any, columns: dict[str, int], width: int) -> Parsed:
    value_column = columns.get("VALUE")
    index = [columns[name] for name in _REQUIRED]
    grouped: Parsed = {}
    for row in reader:
        if not row:
            continue
        line = reader.line_num
        if len(row) != width:
            raise InvalidBody(
                f"Number of data fields does not match number of headers (line {line})."
            )
        cells = [row[i] for i in index]
        for cell, name in zip(cells, _REQUIRED.values(), strict=True):
            if not cell.strip():
                raise InvalidBody(
                    f"Field '{name}' is mandatory but no value was provided (line {line})."
                )
        raw_timestamp, measurement, device, location, symbolic_name, field = cells
        if not _LONG.fullmatch(raw_timestamp):
            raise InvalidBody(f"Conversion of {raw_timestamp} to long failed (line {line}).")
        timestamp = int(raw_timestamp)
        if not INT64_MIN <= timestamp <= INT64_MAX:
            raise InvalidBody(f"Conversion of {raw_timestamp} to long failed (line {line}).")
        value = parse_value(row[value_column]) if value_column is not None else None
        key = ChannelKey(measurement, device, location, symbolic_name, field)
        timestamps, values = grouped.setdefault(key, ([], []))
        timestamps.append(timestamp)
        values.append(value)
    return grouped
