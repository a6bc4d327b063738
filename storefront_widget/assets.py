"""Serves the built widget under its content-hashed name, cacheable for a year, gzipped for browsers that take it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
MANIFEST = STATIC / "manifest.json"
WIDGET = "loyalty-widget.js"
# The name changes with the content, so a browser or CDN may keep a copy forever.
IMMUTABLE = "public, max-age=31536000, immutable"

assets = Blueprint("widget_assets", __name__)


@cache
def built_files() -> dict[str, str]:
    """The manifest written by `npm run build`: logical name -> hashed file name."""
    files: dict[str, str] = json.loads(MANIFEST.read_text())
    return files


def widget_url() -> str:
    """The path the app serves the current widget build at."""
    return f"/widget/{built_files()[WIDGET]}"


@assets.get("/widget/<name>")
def widget_file(name: str) -> Response:
    if name not in built_files().values():
        abort(404)
    # The build's own gzipped copy (about a third of the bytes), never compressed again per request.
    gzipped = request.accept_encodings["gzip"] > 0
    response = send_from_directory(STATIC, f"{name}.gz" if gzipped else name, mimetype="text/javascript")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    # A cache keeps both copies apart by what each browser accepts.
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE
    # A storefront on another origin may load it with crossorigin for error reporting.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
