"""The members pages: search, one member's balances and history, staff adjustments, the members export."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from admin.downloads import csv_download
from admin.pages import language, render, say, staff
from plugin.i18n import format_number, reason_text
from plugin.rules.birthdays import birthday_text, read_birthday
from plugin.rules.limits import MAX_ADJUSTMENT
from plugin.services import birthdays, owner_pages, tiers
from plugin.services.adjust import adjust
from plugin.services.eligibility import frozen
from plugin.services.errors import ServiceError
from plugin.services.member_card import reward_title
from webhooks.collaborators import loyalty

# Ledger entries shown on a member's page, newest first.
HISTORY_SIZE = 200


def register(blueprint: Blueprint) -> None:
    """The members routes."""
    blueprint.add_url_rule("/admin/members", "members", members, methods=["GET"])
    blueprint.add_url_rule("/admin/members/<int:member_id>", "member", member, methods=["GET"])
    blueprint.add_url_rule("/admin/members/<int:member_id>/adjust", "adjust_points", adjust_points, methods=["POST"])
    blueprint.add_url_rule("/admin/members/<int:member_id>/tier", "set_tier", set_tier, methods=["POST"])
    blueprint.add_url_rule(
        "/admin/members/<int:member_id>/birthday", "change_birthday", change_birthday, methods=["POST"]
    )
    blueprint.add_url_rule("/admin/members.csv", "members_csv", members_csv, methods=["GET"])


def members(message: str | None = None) -> ResponseReturnValue:
    """Members matching `?q=` and the customers' data requests; `message` reports what was just done."""
    collaborators = loyalty()
    query = request.args.get("q", "")
    shown = owner_pages.members_page(collaborators.uow, collaborators.owner_reads, staff().shop_id, query)
    return render("admin/members.html", query=query, found=shown.found, requests=shown.requests, message=message)


def member(
    member_id: int, message: str | None = None, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    """One member: balances, consent, history and codes, with the adjustment and privacy forms."""
    shown = owner_pages.member_page(loyalty().uow, staff().shop_id, member_id, HISTORY_SIZE)
    if shown is None:
        abort(404)
    entries = [{"entry": entry, "reason": reason_text(entry.reason, language())} for entry in shown.history]
    page = render(
        "admin/member.html",
        member=shown.member,
        entries=entries,
        codes=shown.codes,
        consents=shown.consents,
        marketing=shown.marketing,
        rewards=_reward_titles(),
        tiers=[level.name for level in owner_pages.live_program(loyalty().uow, staff().shop_id).tiers.levels],
        birthday=birthday_text(shown.member.birthday),
        frozen=frozen(shown.member.customer_tags, owner_pages.live_program(loyalty().uow, staff().shop_id)),
        message=message,
        error=error,
        request_id=uuid.uuid4().hex,
    )
    return page, status


def _reward_titles() -> dict[str, str]:
    """The live program's rewards by id, as the owner reads them ("€5.00 off") rather than their ids."""
    live = owner_pages.live_program(loyalty().uow, staff().shop_id)
    return {
        reward.id: reward_title(
            reward.kind,
            reward.amount,
            reward.percentage,
            reward.currency or live.currency,
            language(),
            reward.product_title,
        )
        for reward in live.rewards
    }


def adjust_points(member_id: int) -> ResponseReturnValue:
    """Add or take points by hand, with a reason; the form's request id makes a double submit post once."""
    try:
        points = int(request.form.get("points", "").strip())
    except ValueError:
        return _refused(member_id, "invalid_amount")
    collaborators = loyalty()
    try:
        available = adjust(
            collaborators.uow,
            collaborators.clock,
            staff().shop_id,
            member_id,
            points,
            request.form.get("reason", ""),
            staff().actor,
            request_id=request.form.get("request_id") or None,
        )
    except ServiceError as refused:
        return _refused(member_id, refused.code)
    return member(member_id, message=say("member.adjusted", available=available))


def set_tier(member_id: int) -> ResponseReturnValue:
    """Set the member's tier by hand (a floor for later reviews), or hand them back to their progress; with a reason."""
    collaborators = loyalty()
    try:
        tier = tiers.assign(
            collaborators.uow,
            collaborators.clock,
            staff().shop_id,
            member_id,
            request.form.get("tier") or None,
            request.form.get("reason", ""),
            staff().actor,
            request_id=request.form.get("request_id") or None,
        )
    except ServiceError as refused:
        return _refused(member_id, refused.code)
    return member(member_id, message=say("member.tier_set", tier=tier or "—"))


def change_birthday(member_id: int) -> ResponseReturnValue:
    """Set or clear the member's birthday (which the member cannot change once set); with a reason."""
    collaborators = loyalty()
    try:
        born = read_birthday(request.form.get("birthday", ""), today=collaborators.clock.now().date())
    except ValueError as error:
        return member(member_id, error=say("error.invalid_birthday", detail=str(error)), status=422)
    try:
        birthdays.change_birthday(
            collaborators.uow,
            collaborators.clock,
            staff().shop_id,
            member_id,
            born,
            request.form.get("reason", ""),
            staff().actor,
            request_id=request.form.get("request_id") or None,
        )
    except ServiceError as refused:
        return _refused(member_id, refused.code)
    return member(member_id, message=say("member.birthday_changed", birthday=birthday_text(born) or "—"))


def _refused(member_id: int, code: str) -> ResponseReturnValue:
    """The member's page again, saying why the adjustment was refused (the most points one may adjust by, too)."""
    return member(member_id, error=say(f"error.{code}", most=format_number(MAX_ADJUSTMENT, language())), status=422)


def members_csv() -> ResponseReturnValue:
    """Every member with balances and consent, as CSV."""
    rows = owner_pages.member_export(loyalty().owner_reads, staff().shop_id)
    return csv_download("members.csv", rows, header=owner_pages.MEMBER_EXPORT_COLUMNS)
