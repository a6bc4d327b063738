"""The Shopify CLI project: the CLI finds every extension and the backend, and every extension builds from source.

`make extensions-deps` installs each extension's packages from its lock file, and the build tools
(storefront_widget/shopify/package.json); `make extensions` builds them all as Shopify CLI bundles them.
"""

from __future__ import annotations

import glob
import gzip
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION

ROOT = Path(__file__).parents[3]
SHOPIFY = ROOT / "storefront_widget" / "shopify"
UI_EXTENSIONS = sorted(path.parent for path in (SHOPIFY / "extensions").glob("*/shopify.extension.toml"))
BUNDLE_LIMIT = 64 * 1024  # Shopify's limit for a UI extension on API 2025-10 and later, compressed


def app_config() -> dict[str, Any]:
    return tomllib.loads((ROOT / "shopify.app.toml").read_text())


def handle(extension: Path) -> str:
    config = tomllib.loads((extension / "shopify.extension.toml").read_text())
    return str(config["extensions"][0]["handle"])


def build(out: Path) -> dict[str, bytes]:
    built = subprocess.run(["node", "build.mjs", str(out)], cwd=SHOPIFY, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    return {path.name: path.read_bytes() for path in out.glob("*.js")}


def test_the_cli_finds_every_extension_through_extension_directories():
    # As Shopify CLI looks for them: <directory>/*.extension.toml for each entry, node_modules left out.
    found = {
        Path(path).parent
        for directory in app_config()["extension_directories"]
        for path in glob.glob(str(ROOT / directory / "*.extension.toml"))
        if "node_modules" not in path
    }

    assert found == {
        path.parent for path in SHOPIFY.rglob("shopify.extension.toml") if "node_modules" not in path.parts
    }
    assert SHOPIFY / "theme-extension" in found


def test_shopify_app_dev_starts_the_python_backend_on_the_port_it_gives():
    web = tomllib.loads((ROOT / "shopify.web.toml").read_text())

    assert sorted(web["roles"]) == ["backend", "frontend"]
    assert web["commands"]["dev"] == "make shopify-dev"
    assert "shopify-dev:" in (ROOT / "Makefile").read_text()
    assert web["webhooks_path"] in {subscription["uri"] for subscription in app_config()["webhooks"]["subscriptions"]}


@pytest.mark.parametrize("extension", UI_EXTENSIONS, ids=lambda path: path.name)
def test_every_extension_pins_its_packages_and_locks_them(extension: Path):
    wanted = json.loads((extension / "package.json").read_text())["dependencies"]
    locked = json.loads((extension / "package-lock.json").read_text())["packages"]

    assert all(version[0].isdigit() for version in wanted.values()), wanted
    assert locked[""]["dependencies"] == wanted
    assert {name: locked[f"node_modules/{name}"]["version"] for name in wanted} == wanted


@pytest.mark.parametrize("extension", UI_EXTENSIONS, ids=lambda path: path.name)
def test_every_extension_uses_the_ui_extensions_release_of_the_apps_api_version_with_preact(extension: Path):
    wanted = json.loads((extension / "package.json").read_text())["dependencies"]
    tsconfig = json.loads((extension / "tsconfig.json").read_text())

    assert wanted["@shopify/ui-extensions"].startswith(SHOPIFY_API_VERSION.replace("-", ".") + ".")
    # The CLI bundles JSX as `automatic`: the import source comes from here, or it would look for React.
    assert tsconfig["compilerOptions"]["jsxImportSource"] == "preact"


def test_every_extension_builds_from_source_the_same_twice_and_within_shopifys_size_limit(tmp_path: Path):
    first, second = build(tmp_path / "first"), build(tmp_path / "second")

    assert sorted(first) == sorted(f"{handle(extension)}.js" for extension in UI_EXTENSIONS)
    assert first == second
    assert all(len(gzip.compress(code)) <= BUNDLE_LIMIT for code in first.values())
