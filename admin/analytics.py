"""The analytics page: points per week, liability, members against other customers; and the same as CSV."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from admin import charts
from admin.downloads import csv_download
from admin.pages import language, render, say, shop, staff
from plugin.i18n import format_day
from plugin.services import owner_pages
from plugin.services.analytics import Figures
from webhooks.collaborators import loyalty

DEFAULT_WEEKS = 26
# The period shown, in weeks: long enough for a trend, short enough for one chart.
FEWEST_WEEKS, MOST_WEEKS = 4, 104


def register(blueprint: Blueprint) -> None:
    """The analytics routes."""
    blueprint.add_url_rule("/admin/analytics", "analytics_page", analytics_page, methods=["GET"])
    blueprint.add_url_rule("/admin/analytics/<name>.csv", "analytics_csv", analytics_csv, methods=["GET"])


def analytics_page() -> ResponseReturnValue:
    """The figures with two charts; while a first build of the sums runs, how far it came."""
    shown = _shop_figures()
    figures = shown.figures
    weekly = charts.bar_chart(
        say("analytics.weekly"),
        [format_day(week.week, language()) for week in figures.weeks],
        [
            charts.Series(say("analytics.issued"), "#2563eb", [week.issued for week in figures.weeks]),
            charts.Series(say("analytics.redeemed"), "#16a34a", [week.redeemed for week in figures.weeks]),
            charts.Series(say("analytics.expired"), "#dc2626", [week.expired for week in figures.weeks]),
        ],
        language(),
    )
    groups = [figures.members, figures.others]
    compare = charts.bar_chart(
        say("analytics.aov"),
        [say("analytics.group_members"), say("analytics.group_others")],
        [charts.Series(say("analytics.aov"), "#7c3aed", [group.average_order_value or 0 for group in groups])],
        language(),
    )
    return render(
        "admin/analytics.html",
        figures=figures,
        weekly=weekly,
        compare=compare,
        currency=shop().currency,
        weeks=len(figures.weeks),
        building=shown.building,
    )


def analytics_csv(name: str) -> ResponseReturnValue:
    """One table of the figures as CSV: weekly, summary or customers."""
    tables: dict[str, Callable[[Figures], list[list[object]]]] = {
        "weekly": _weekly_rows,
        "summary": _summary_rows,
        "customers": _customer_rows,
    }
    if name not in tables:
        abort(404)
    return csv_download(f"{name}.csv", tables[name](_shop_figures().figures))


def _shop_figures() -> owner_pages.ShopFigures:
    weeks = min(max(request.args.get("weeks", DEFAULT_WEEKS, type=int) or DEFAULT_WEEKS, FEWEST_WEEKS), MOST_WEEKS)
    collaborators = loyalty()
    now = collaborators.clock.now()
    return owner_pages.shop_figures(collaborators.uow, collaborators.owner_reads, staff().shop_id, now, weeks)


def _weekly_rows(figures: Figures) -> list[list[object]]:
    rows: list[list[object]] = [["week", "issued", "redeemed", "expired"]]
    rows += [[week.week.isoformat(), week.issued, week.redeemed, week.expired] for week in figures.weeks]
    return rows


def _summary_rows(figures: Figures) -> list[list[object]]:
    return [
        ["figure", "value"],
        ["period_start", figures.since.isoformat()],
        ["members", figures.counts.members],
        ["active_members", figures.counts.active],
        ["known_customers", figures.counts.customers],
        ["opt_in_rate", _decimal(figures.opt_in_rate)],
        ["points_issued", figures.issued],
        ["points_redeemed", figures.redeemed],
        ["points_expired", figures.expired],
        ["redemption_rate", _decimal(figures.redemption_rate)],
        ["outstanding_available", figures.available],
        ["outstanding_pending", figures.pending],
        ["point_value", _decimal(figures.point_value)],
        ["liability", _decimal(figures.liability)],
    ]


def _customer_rows(figures: Figures) -> list[list[object]]:
    rows: list[list[object]] = [
        ["group", "buyers", "repeat_buyers", "repeat_rate", "orders", "revenue", "average_order_value"]
    ]
    for name, group in (("members", figures.members), ("non_members", figures.others)):
        rows.append(
            [
                name,
                group.customers,
                group.repeat_customers,
                _decimal(group.repeat_rate),
                group.orders,
                _decimal(group.revenue),
                _decimal(group.average_order_value),
            ]
        )
    return rows


def _decimal(value: Decimal | None) -> str:
    """A rate or amount without trailing zeros, to four decimals."""
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"
