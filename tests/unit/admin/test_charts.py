"""Server-side SVG charts: well-formed, labelled, values escaped."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

from admin.charts import Series, bar_chart


def test_a_bar_chart_is_valid_svg_with_one_bar_per_value() -> None:
    svg = bar_chart(
        "Points <per> week",
        ["a", "b", "c"],
        [Series("issued", "#000", [1, 5, 0]), Series("x&y", "#f00", [2, 2, 2])],
        "en",
    )
    root = ElementTree.fromstring(str(svg))
    bars = [
        rect
        for rect in root.iter("{http://www.w3.org/2000/svg}rect")
        if rect.find("{http://www.w3.org/2000/svg}title") is not None
    ]
    assert len(bars) == 6
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Points <per> week"  # type: ignore[union-attr]


def test_an_empty_chart_still_draws() -> None:
    ElementTree.fromstring(str(bar_chart("none", [], [Series("s", "#000", [])], "en")))


def test_values_read_in_the_pages_language() -> None:
    svg = str(bar_chart("Omzet", ["wk 1"], [Series("gemiddeld", "#000", [Decimal("1234.5")])], "nl"))
    assert "gemiddeld wk 1: 1.234,5</title>" in svg
    assert ">1,2K</text>" in svg  # the axis: 1234.5 at the top
