"""Files the owner downloads: CSV streamed in chunks (safe to open in a spreadsheet), and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence

from flask import Response

# Text cells a spreadsheet would run as a formula if they started with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Bytes gathered before a chunk of CSV goes out.
CHUNK_SIZE = 64_000


def csv_download(filename: str, rows: Iterable[Sequence[object]], header: Sequence[str] | None = None) -> Response:
    """A CSV attachment streamed as the rows come, so a large export never sits in memory."""

    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if header:
            writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
            if buffer.tell() > CHUNK_SIZE:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(chunks(), mimetype="text/csv", headers=_attachment(filename))


def json_download(data: object, filename: str) -> Response:
    """A JSON attachment, indented for a person to read."""
    return Response(json.dumps(data, indent=2, default=str), mimetype="application/json", headers=_attachment(filename))


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
