"""Customers' data (GDPR): export a member's data, erase a member, answer customers' data requests."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from admin.downloads import json_download
from admin.members import member, members
from admin.pages import say, staff
from plugin.services import owner_pages, privacy
from plugin.services.records import Member
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The privacy routes."""
    blueprint.add_url_rule("/admin/members/<int:member_id>/export", "export_member", export_member, methods=["GET"])
    blueprint.add_url_rule("/admin/members/<int:member_id>/erase", "erase_member", erase_member, methods=["POST"])
    blueprint.add_url_rule(
        "/admin/data-requests/<int:request_id>/export",
        "export_requested_data",
        export_requested_data,
        methods=["GET"],
    )
    blueprint.add_url_rule(
        "/admin/data-requests/<int:request_id>/answered",
        "answer_data_request",
        answer_data_request,
        methods=["POST"],
    )


def export_member(member_id: int) -> ResponseReturnValue:
    """Everything held about a member, as a JSON download."""
    found = _member_or_404(member_id)
    data = privacy.export_customer(loyalty().uow, staff().shop_id, customer_ref=found.customer_ref, email=found.email)
    return json_download(data, f"member-{member_id}.json")


def erase_member(member_id: int) -> ResponseReturnValue:
    """Erase a member's personal data once the owner ticked the confirmation."""
    found = _member_or_404(member_id)
    if request.form.get("confirm") != "yes":
        return member(member_id, error=say("member.erase_unconfirmed"), status=422)
    collaborators = loyalty()
    privacy.erase_customer(
        collaborators.uow,
        collaborators.clock,
        staff().shop_id,
        customer_ref=found.customer_ref,
        email=found.email,
    )
    return members(message=say("member.erased"))


def export_requested_data(request_id: int) -> ResponseReturnValue:
    """Everything held about the customer who asked, as a JSON download."""
    asked = owner_pages.data_request(loyalty().uow, staff().shop_id, request_id)
    if asked is None:
        abort(404)
    data = privacy.export_customer(loyalty().uow, staff().shop_id, customer_ref=asked.customer_ref, email=asked.email)
    return json_download(data, f"data-request-{request_id}.json")


def answer_data_request(request_id: int) -> ResponseReturnValue:
    """Mark a data request answered."""
    collaborators = loyalty()
    if not privacy.answer_data_request(collaborators.uow, collaborators.clock, staff().shop_id, request_id):
        abort(404)
    return members(message=say("requests.answered"))


def _member_or_404(member_id: int) -> Member:
    found = owner_pages.member(loyalty().uow, staff().shop_id, member_id)
    if found is None:
        abort(404)
    return found
