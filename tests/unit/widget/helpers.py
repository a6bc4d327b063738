"""Running the node scripts of storefront_widget/shopify/test/, shared by the widget's unit tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

SHOPIFY = Path(__file__).parents[3] / "storefront_widget" / "shopify"


def node_output(script: str, scenario: dict[str, Any]) -> str:
    """What the script prints for the scenario; a script that fails fails the test with its error."""
    ran = subprocess.run(
        ["node", script, json.dumps(scenario)], cwd=SHOPIFY, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def node(script: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """The JSON the script prints for the scenario."""
    result: dict[str, Any] = json.loads(node_output(script, scenario))
    return result
