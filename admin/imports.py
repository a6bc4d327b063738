"""The balance import: a CSV of customers and points from a previous program, checked before it is applied."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from admin.pages import render, say, staff
from plugin.services.balances_import import ImportReport, import_balances
from plugin.services.errors import ServiceError
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The import route."""
    blueprint.add_url_rule("/admin/import", "import_page", import_page, methods=["GET", "POST"])


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
    return render("admin/import.html", report=report, csv_text=csv_text, error=error), status
