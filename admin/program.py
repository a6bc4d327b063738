"""The program page: every setting as a form, its version history, and the points simulator."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin import program_form
from admin.pages import language, render, say, staff
from admin.texts import FIELD_LABELS, label, problem_text, text
from plugin.i18n import format_money
from plugin.rules.program import Program, ProgramError
from plugin.rules.simulation import Step
from plugin.rules.tiers import TierPreview
from plugin.services import backtest, owner_pages, tiers
from plugin.services.backtest import Comparison
from plugin.services.owner_pages import Simulation
from plugin.services.shops import change_program
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The program routes; /admin opens the program page."""
    blueprint.add_url_rule("/admin", "home", home, methods=["GET"])
    blueprint.add_url_rule("/admin/program", "program", program, methods=["GET", "POST"])


def home() -> ResponseReturnValue:
    """The admin's front page is the program."""
    return redirect(url_for("admin.program"))


def program() -> ResponseReturnValue:
    """Show the live program; a POST checks a draft, simulates it, or saves it as a new version."""
    collaborators = loyalty()
    shop_id = staff().shop_id
    live = owner_pages.program_page(collaborators.uow, shop_id)
    problems: dict[str, list[str]] = {}
    simulation: Simulation | None = None
    simulation_error: str | None = None
    tier_preview: TierPreview | None = None
    comparison: Comparison | None = None
    status = 200
    if request.method == "POST":
        form = request.form.to_dict()
        data = program_form.keep(program_form.program_data(form), live.program)
        draft: Program | None = None
        try:
            draft = Program.parse(data)
        except ProgramError as error:
            for problem in error.problems:
                field = program_form.form_field(problem.field)
                problems.setdefault(field, []).append(problem_text(problem.message, language()))
        if request.form.get("action") == "save" and draft is not None:
            version = change_program(collaborators.uow, collaborators.clock, shop_id, data, staff().actor)
            # Changed tiers are reviewed by the worker after the save: the page says it is under way.
            retiering = 1 if draft.tiers != live.program.tiers else None
            return redirect(url_for("admin.program", saved=version, retiering=retiering))
        if request.form.get("action") == "preview_tiers" and draft is not None:
            tier_preview = tiers.dry_run(collaborators.uow, collaborators.clock, shop_id, draft)
        if request.form.get("action") == "backtest" and draft is not None:
            comparison = backtest.compare(
                collaborators.uow, collaborators.owner_reads, collaborators.clock, shop_id, draft
            )
        simulation, simulation_error = _simulate(shop_id, draft, live.program, form)
        values = program_form.form_values(data)
        status = 422 if problems else 200
    else:
        values = program_form.form_values(live.program.to_data())
    page = render(
        "admin/program.html",
        values=values,
        problems=problems,
        sections=program_form.SECTIONS,
        lists=program_form.LISTS,
        rows={path: program_form.row_count(values, path) for path in program_form.LISTS},
        live_version=live.version,
        saved=request.args.get("saved"),
        retiering=request.args.get("retiering"),
        history=_history(live.versions, language()),
        simulation=simulation,
        simulation_error=simulation_error,
        tiers=[level.name for level in live.program.tiers.levels],
        tier_preview=tier_preview,
        backtest=comparison,
        orders=owner_pages.simulator_orders(collaborators.owner_reads, shop_id),
        why=_why,
    )
    return page, status


def _simulate(
    shop_id: int, draft: Program | None, live: Program, form: dict[str, str]
) -> tuple[Simulation, str | None]:
    """The simulator's answer for the chosen order or amount, and what was wrong with the amount."""
    tier = form.get("sim_tier") or None
    order_ref = form.get("sim_order", "")
    now = loyalty().clock.now()  # the campaigns running now count, as at a checkout
    if order_ref:
        collaborators = loyalty()
        simulation = owner_pages.simulate_order(
            collaborators.uow, collaborators.owner_reads, shop_id, order_ref, draft, live, tier, now
        )
        return simulation, None
    try:
        amount = Decimal(form.get("sim_amount", "").strip().replace(",", "."))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except InvalidOperation:
        return Simulation(), say("sim.invalid_amount")
    return owner_pages.simulate_amount(amount, draft, live, tier, now), None


def _why(step: Step) -> str:
    """One step of a simulated figure in the owner's language, its amounts of money as CLDR writes them."""
    shown = language()
    params = {
        name: format_money(value, str(step.params["currency"]), shown) if isinstance(value, Decimal) else value
        for name, value in step.params.items()
    }
    return say(f"sim.why.{step.code}", **params)


def _history(versions: list[dict[str, Any]], shown: str) -> list[dict[str, Any]]:
    """Each version with the settings it changed from the one before, named as the form names them."""
    history = []
    for index, version in enumerate(versions):
        previous = versions[index + 1]["program"] if index + 1 < len(versions) else None
        changed: list[str] = []
        if previous is not None:
            now_values = program_form.form_values(version["program"])
            before = program_form.form_values(previous)
            keys = sorted(key for key in now_values.keys() | before.keys() if now_values.get(key) != before.get(key))
            keys += [path for path in program_form.KEPT if version["program"].get(path) != previous.get(path)]
            changed = list(dict.fromkeys(_change_name(key, shown) for key in keys))
        history.append({**version, "changed": changed})
    return history


def _change_name(key: str, shown: str) -> str:
    """A form key as the owner reads it: `rewards.1.points` is "Rewards 2: Points"."""
    parts = key.split(".")
    row = next((at for at, part in enumerate(parts) if part.isdigit()), None)
    if row is None:
        return label(key, shown, FIELD_LABELS)
    table = text(f"program.{parts[row - 1]}", shown)
    return f"{table} {int(parts[row]) + 1}: {label('.'.join(parts[row + 1 :]), shown, FIELD_LABELS)}"
