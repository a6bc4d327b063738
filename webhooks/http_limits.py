"""What every request meets whatever its route: a body size limit, JSON that parses or a 400, safe headers.

Sizes measured on 2026-12-07 from the sample payloads in shared/fixtures: a Shopify order with 250 lines is
358 KB as Shopify sends it (compact JSON), 1.14 MB when a fulfillment and a refund each repeat all 250 lines;
Saleor's biggest delivery for 250 lines is 33 KB (the app's subscription) or 228 KB (a legacy payload).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

# 4 MiB: three and a half times the largest real delivery measured above.
MAX_BODY_BYTES = 4 * 1024 * 1024
# An HTML page nobody may frame; pages that are embedded set their own policy before this runs.
NOT_FRAMED = "frame-ancestors 'none'"


class MalformedJson(ValueError):
    """The body is not JSON this app can read (bad syntax, bad UTF-8, nested too deep): answer 400."""


def install(app: Flask) -> None:
    """Refuse oversized bodies before any view reads them, and add the headers every answer needs."""
    # Werkzeug also enforces this while reading a chunked body that announces no length.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_refuse_oversized)
    app.after_request(_safe_headers)


def _refuse_oversized() -> None:
    # One header read: a 100 MB POST is answered before a byte of it is read, whatever the route.
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


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
