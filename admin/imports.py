"""The balance import: a CSV of customers and points from a previous program, checked before it is applied.
And the order history import: started here (as a dry run first, if the owner likes), run by the worker, its
progress shown on this page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin.pages import render, say, staff
from plugin.services.balances_import import ImportReport, import_balances
from plugin.services.errors import ServiceError
from plugin.services.reconcile import HistoryProgress, history_progress, request_history_import
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The import route."""
    blueprint.add_url_rule("/admin/import", "import_page", import_page, methods=["GET", "POST"])
    blueprint.add_url_rule("/admin/import/history", "import_history", import_history, methods=["POST"])


def import_page() -> ResponseReturnValue:
    """The upload form; a POST checks the CSV (action "check") or applies it (action "apply")."""
    report: ImportReport | None = None
    csv_text = ""
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        csv_text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
        csv_text = csv_text or request.form.get("csv_text", "")
        collaborators = loyalty()
        try:
            report = import_balances(
                collaborators.uow,
                collaborators.clock,
                staff().shop_id,
                csv_text,
                apply=request.form.get("action") == "apply",
                skip_bad_rows=request.form.get("skip_bad_rows") == "on",
            )
        except ServiceError as refused:
            error = say(f"error.{refused.code}")
    status = 422 if report is not None and report.errors and not report.applied else 200
    return _page(report=report, csv_text=csv_text, error=error), status


def import_history() -> ResponseReturnValue:
    """Queue the import of the orders since the date given (a dry run if asked); the page then shows its progress."""
    try:
        since = datetime.combine(date.fromisoformat(request.form.get("since", "").strip()), datetime.min.time(), UTC)
    except ValueError:
        return _page(history_error=say("import.history_bad_date")), 422
    collaborators = loyalty()
    dry_run = request.form.get("action") == "dry_run"
    request_history_import(collaborators.uow, collaborators.clock, staff().shop_id, since, dry_run=dry_run)
    return redirect(url_for("admin.import_page"))


def _page(**values: Any) -> str:
    progress = history_progress(loyalty().uow, staff().shop_id)
    return render("admin/import.html", history=progress, history_at=_moments(progress), **values)


def _moments(progress: HistoryProgress | None) -> dict[str, datetime]:
    """The progress's dates as datetimes, for the page to write in its language."""
    if progress is None:
        return {}
    kept = {"since": progress.since, "started": progress.started_at, "finished": progress.finished_at}
    return {name: datetime.fromisoformat(value) for name, value in kept.items() if value}
