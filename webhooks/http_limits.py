"""What every request meets whatever its route: a body size limit, ids the database can hold, no NUL in the URL
or headers, JSON that parses or a 400, safe headers.

Sizes measured on 2026-12-07 from the sample payloads in shared/fixtures: a Shopify order with 250 lines is
358 KB as Shopify sends it (compact JSON), 1.14 MB when a fulfillment and a refund each repeat all 250 lines;
Saleor's biggest delivery for 250 lines is 33 KB (the app's subscription) or 228 KB (a legacy payload).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

# 4 MiB: three and a half times the largest real delivery measured above.
MAX_BODY_BYTES = 4 * 1024 * 1024
# The largest id a BIGINT (PostgreSQL) or INTEGER (SQLite) column holds.
MAX_ROW_ID = 2**63 - 1
# An HTML page nobody may frame; pages that are embedded set their own policy before this runs.
NOT_FRAMED = "frame-ancestors 'none'"


class MalformedJson(ValueError):
    """The body is not JSON this app can read (bad syntax, bad UTF-8, nested too deep): answer 400."""


class RowId(IntegerConverter):
    """`<int:...>` in a URL is a row id: a larger number names no row, so it is a 404 and never reaches SQL.

    Beyond MAX_ROW_ID, SQLite's driver raises OverflowError rather than find nothing.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ROW_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def install(app: Flask) -> None:
    """Bound the ids in URLs, refuse oversized bodies before any view reads them, add the headers every answer needs.

    Call it before any route is added: a rule takes its converters when it is added."""
    app.url_map.converters["int"] = RowId
    # Werkzeug also enforces this while reading a chunked body that announces no length.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_refuse_oversized)
    app.before_request(_refuse_nul)
    app.after_request(_safe_headers)


def _refuse_oversized() -> None:
    # One header read: a 100 MB POST is answered before a byte of it is read, whatever the route.
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


def _refuse_nul() -> None:
    # PostgreSQL's text columns cannot hold NUL: a shop looked up by such a value would raise, not be missing.
    # No platform or browser puts NUL in a URL or a header value.
    query = request.query_string
    if (
        b"%00" in query
        or b"\x00" in query
        or "\x00" in request.path
        or any("\x00" in v for v in request.headers.values())
    ):
        raise BadRequest("NUL is not allowed in a URL or a header")


def _safe_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = NOT_FRAMED
    return response


def json_body() -> Any:
    """The request body as JSON (None when empty); MalformedJson for anything orjson refuses, depth included."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        # orjson stops at 1024 levels with a JSONDecodeError; the json module would raise RecursionError.
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise MalformedJson(f"the body is not valid JSON: {error}") from None
