"""The built widget: one hashed file with its gzipped copy, small, and talking to no host but the app."""

from __future__ import annotations

import gzip
import json
import re
import subprocess

from storefront_widget.assets import MANIFEST, STATIC, WIDGET

LIMIT = 8 * 1024  # gzipped, every feature included (issue 19)


def built() -> bytes:
    name = json.loads(MANIFEST.read_text())[WIDGET]
    return (STATIC / name).read_bytes()


def test_the_manifest_names_one_content_hashed_file_that_exists():
    name = json.loads(MANIFEST.read_text())[WIDGET]

    assert re.fullmatch(r"loyalty-widget\.[0-9a-f]{12}\.js", name)
    assert [path.name for path in STATIC.glob("loyalty-widget.*.js")] == [name]


def test_the_gzipped_copy_beside_the_built_file_unpacks_to_it():
    name = json.loads(MANIFEST.read_text())[WIDGET]

    assert [path.name for path in STATIC.glob("loyalty-widget.*.js.gz")] == [f"{name}.gz"]
    assert gzip.decompress((STATIC / f"{name}.gz").read_bytes()) == built()


def test_the_widget_is_at_most_8_kb_gzipped():
    assert len((STATIC / f"{json.loads(MANIFEST.read_text())[WIDGET]}.gz").read_bytes()) <= LIMIT


def test_the_widget_names_no_other_host():
    # Every request goes to the `api` attribute (relative on Shopify); no CDN, font or tracker.
    assert re.findall(rb"https?://", built()) == []


def test_the_committed_build_is_what_its_source_builds_to():
    # make test installs the widget's npm packages (make widget-deps) before the suite runs.
    checked = subprocess.run(
        ["node", "build.mjs", "--check"], cwd=STATIC.parent, capture_output=True, text=True, check=False
    )

    assert checked.returncode == 0, checked.stderr


def test_the_loader_and_the_welcome_panel_are_small_name_no_other_host_and_have_gzipped_copies():
    for logical, limit in (("loyalty-loader.js", 1024), ("loyalty-welcome.js", 3 * 1024)):
        name = json.loads(MANIFEST.read_text())[logical]
        code = (STATIC / name).read_bytes()

        assert gzip.decompress((STATIC / f"{name}.gz").read_bytes()) == code
        assert len((STATIC / f"{name}.gz").read_bytes()) <= limit
        assert re.findall(rb"https?://", code) == []
