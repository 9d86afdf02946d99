"""Row readers of import files, each a generator over an open binary file that never
holds more than one row (CSV, XLSX read-only) or one object (JSON) in memory.

- CSV: UTF-8 (a BOM is dropped), the first line names the columns.
- JSON: an array of objects, or one object per line (JSON Lines); objects are decoded
  one at a time from 64 KB chunks.
- XLSX: the first sheet, the first row names the columns (openpyxl in read-only mode).

Each yields ``(row_number, {column: value})``; CSV and XLSX values are text (XLSX
numbers and dates are written the way a CSV would hold them)."""

import codecs
import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from domus.core.exceptions import ValidationFailed

FORMATS = ("csv", "json", "xlsx")
CHUNK = 64 * 1024
MAX_OBJECT = 1024 * 1024  # a single JSON object larger than this is refused
Rows = Iterator[tuple[int, dict[str, Any]]]


def format_of(filename: str, given: str | None) -> str:
    """The format given, else the file name's extension, else CSV."""
    if given:
        if given.lower() not in FORMATS:
            raise ValidationFailed("Unknown file format.", errors={"format": [f"One of: {', '.join(FORMATS)}."]})
        return given.lower()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return "json" if extension in {"json", "jsonl", "ndjson"} else extension if extension in FORMATS else "csv"


def read_csv(stream: IO[bytes]) -> Rows:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(text)
        if reader.fieldnames is None:
            return
        reader.fieldnames = [(name or "").strip() for name in reader.fieldnames]
        for number, row in enumerate(reader, start=2):
            row.pop(None, None)  # cells past the header
            yield number, {key: (value or "").strip() for key, value in row.items() if key}
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValidationFailed("The file is not UTF-8 CSV.", errors={"file": [str(error)[:200]]}) from None


def read_json(stream: IO[bytes]) -> Rows:
    try:
        yield from _read_json(stream)
    except UnicodeDecodeError as error:
        raise ValidationFailed("The file is not UTF-8 JSON.", errors={"file": [str(error)[:200]]}) from None


def _read_json(stream: IO[bytes]) -> Rows:
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    buffer, position, number, eof = "", 0, 0, False
    while True:
        # skip separators: whitespace, the array's brackets, commas between objects
        while position < len(buffer) and buffer[position] in " \t\r\n,[]":
            position += 1
        if position >= len(buffer):
            if eof:
                return
            chunk = stream.read(CHUNK)
            eof = not chunk
            buffer, position = buffer[position:] + utf8.decode(chunk, final=eof), 0
            continue
        try:
            value, end = decoder.raw_decode(buffer, position)
        except json.JSONDecodeError:
            if eof or len(buffer) - position > MAX_OBJECT:
                raise ValidationFailed(
                    "The JSON file is not an array of objects (or one object per line).",
                    errors={"file": [f"Invalid JSON after {number} objects."]},
                ) from None
            chunk = stream.read(CHUNK)
            eof = not chunk
            buffer, position = buffer[position:] + utf8.decode(chunk, final=eof), 0
            continue
        number += 1
        position = end
        if not isinstance(value, dict):
            value = {"__invalid__": value}
        yield number, value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_xlsx(stream: IO[bytes]) -> Rows:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError on a file that is not XLSX
        raise ValidationFailed("Not an XLSX file.", errors={"file": [f"{type(exc).__name__}: {exc}"[:200]]}) from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        columns = [_cell(name) for name in header]
        for number, values in enumerate(rows, start=2):
            yield number, {column: _cell(value) for column, value in zip(columns, values, strict=False) if column}
    finally:
        book.close()


READERS = {"csv": read_csv, "json": read_json, "xlsx": read_xlsx}


def estimate_rows(stream: IO[bytes], fmt: str) -> int:
    """Rows in the file, counted cheaply (CSV and JSON Lines: lines; XLSX: the sheet's
    dimension), for the progress total; 0 when unknown. The stream is rewound."""
    try:
        if fmt == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(stream, read_only=True)
            try:
                return max((book.worksheets[0].max_row or 1) - 1, 0)
            finally:
                book.close()
        lines = 0
        while chunk := stream.read(1024 * 1024):
            lines += chunk.count(b"\n")
        return max(lines - 1, 0) if fmt == "csv" else lines
    except Exception:
        return 0
    finally:
        stream.seek(0)
