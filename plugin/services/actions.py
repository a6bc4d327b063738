"""Custom actions: points for what another app vouches for (a review, a survey), reported signed with the shop's key.

Each award is a bonus entry keyed by the caller's id, so a repeat posts nothing; a reversal takes the points
back once. The program names the actions, their points and how often per member and period they count. A member
whose balance is frozen earns none (FrozenBalance, nothing written); a reversal of an earlier award still applies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, debit, expiry_for
from plugin.ledger.postings import Postings
from plugin.rules.actions import award_points, period_start, within_cap
from plugin.rules.limits import ACTION_ID_LENGTH
from plugin.services.eligibility import refuse_frozen
from plugin.services.errors import ServiceError, UnknownMember
from plugin.services.records import ActionAward, Member
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

# A signed report older (or further ahead) than this is refused: a captured request cannot be sent again later.
SIGNATURE_TOLERANCE_SECONDS = 300


class BadSignature(ServiceError):
    code = "bad_signature"


class ActionRefused(ServiceError):
    """An action the program does not have, a customer who is no member, or a body that says neither."""

    code = "action_refused"


class OverCap(ServiceError):
    code = "over_cap"


@dataclass(frozen=True)
class ActionReport:
    """A signed report as the endpoint read it: which action, for whom, the caller's id, and whether to undo."""

    action: str
    request_id: str
    customer: str | None = None
    points: int | None = None
    reverse: bool = False

    @classmethod
    def parse(cls, body: object) -> ActionReport:
        """The report from the JSON body; ActionRefused naming what is wrong."""
        if not isinstance(body, dict):
            raise ActionRefused("the body must be a JSON object")
        unknown = set(body) - {"action", "customer", "id", "points", "reverse"}
        if unknown:
            raise ActionRefused(f"unknown field: {sorted(unknown)[0]}")
        action, request_id, customer = body.get("action"), body.get("id"), body.get("customer")
        points, reverse = body.get("points"), body.get("reverse", False)
        if not isinstance(action, str) or not action:
            raise ActionRefused("action: the name of one of the program's actions")
        if not isinstance(request_id, str) or not 1 <= len(request_id) <= ACTION_ID_LENGTH or "\x00" in request_id:
            raise ActionRefused(f"id: your id for this action, 1 to {ACTION_ID_LENGTH} characters")
        if not isinstance(reverse, bool):
            raise ActionRefused("reverse: true or false")
        if not reverse and (not isinstance(customer, str) or not customer or "\x00" in customer):
            raise ActionRefused("customer: the customer's id on the platform or their e-mail address")
        if points is not None and (not isinstance(points, int) or isinstance(points, bool)):
            raise ActionRefused("points: a whole number")
        return cls(action, request_id, customer if isinstance(customer, str) else None, points, reverse)


@dataclass(frozen=True)
class ActionResult:
    """What the caller is told: the points the action moved (negative for a reversal), and whether it was new."""

    points: int
    member_id: int
    repeated: bool


def signature(key: str, timestamp: str, body: bytes) -> str:
    """The header value that signs a report: `sha256=` and the hex HMAC of "<timestamp>.<raw body>"."""
    digest = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(key: str | None, timestamp: str | None, given: str | None, body: bytes, now: datetime) -> None:
    """BadSignature unless the report is signed with the shop's key within SIGNATURE_TOLERANCE_SECONDS of now."""
    if key is None:
        raise BadSignature("this shop has no custom action key yet (Setup page or `loyalty actions-key`)")
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature("X-Loyalty-Timestamp: the Unix time the report was signed, in seconds")
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise BadSignature("X-Loyalty-Timestamp: more than 5 minutes from now; sign the report again")
    if not given or not hmac.compare_digest(given.encode(), signature(key, timestamp, body).encode()):
        raise BadSignature("X-Loyalty-Signature does not match the body")


def new_key(uow: UnitOfWork, clock: Clock, shop_id: int) -> str:
    """Make (or replace) the shop's signing key and return it; the old key stops working at once."""
    key = secrets.token_urlsafe(32)
    with uow(shop_id) as tx:
        tx.actions.set_key(key, clock.now())
    return key


def signing_key(uow: UnitOfWork, shop_id: int) -> str | None:
    with uow.read(shop_id) as tx:
        return tx.actions.key()


def report(uow: UnitOfWork, clock: Clock, shop_id: int, reported: ActionReport) -> ActionResult:
    """Award (or reverse) a reported action; a repeat of either changes nothing and answers as the first did.

    ActionRefused for an action or customer the shop does not know, FrozenBalance for a frozen member, OverCap
    past the action's cap: nothing is written then."""
    now = clock.now()
    with uow(shop_id) as tx:
        version, program = tx.programs.current()
        action = program.action(reported.action)
        if action is None:
            raise ActionRefused(f"action: the program has no action {reported.action!r}")
        earlier = tx.actions.award(reported.request_id)
        if reported.reverse:
            return _reverse(tx, now, version, reported, earlier)
        if earlier is not None:
            if earlier.action != action.name:
                raise ActionRefused(f"id: {reported.request_id!r} was used for the action {earlier.action!r}")
            return ActionResult(earlier.points, earlier.member_id, repeated=True)
        try:
            points = award_points(action, reported.points)
        except ValueError as error:
            raise ActionRefused(str(error)) from None
        member = _member(tx, reported.customer or "")
        refuse_frozen(member, program)
        since = period_start(action.per, now)
        if not within_cap(action, tx.actions.count_since(member.id, action.name, since)):
            raise OverCap(f"{action.name}: at most {action.cap} per member per {action.per.value}")
        award = ActionAward(reported.request_id, member.id, action.name, points, now, None)
        if not tx.actions.add(award):  # the same id raced in from another request: it awarded, this one does not
            return ActionResult(points, member.id, repeated=True)
        entry = NewEntry(
            kind=EntryKind.BONUS,
            points=points,
            idempotency_key=keys.action_entry(reported.request_id),
            reason=Reason(code="custom_action", params={"action": action.name}),
            program_version=version,
            expires_at=expiry_for(program, now),
        )
        tx.ledger.apply(Postings(postings=[credit(account(member), entry, now)], jobs=[jobs.publish_member(member.id)]))
        return ActionResult(points, member.id, repeated=False)


def _reverse(
    tx: Transaction, now: datetime, version: int, reported: ActionReport, earlier: ActionAward | None
) -> ActionResult:
    if earlier is None or earlier.action != reported.action:
        raise ActionRefused(f"id: no {reported.action!r} action was awarded with the id {reported.request_id!r}")
    if not tx.actions.reverse(reported.request_id, now):
        return ActionResult(-earlier.points, earlier.member_id, repeated=True)
    member = tx.members.get(earlier.member_id, lock=True)
    if member is None:
        raise UnknownMember(str(earlier.member_id))
    entry = NewEntry(
        kind=EntryKind.REVERSE,
        points=-earlier.points,
        idempotency_key=keys.action_reversal_entry(reported.request_id),
        reason=Reason(code="custom_action_reversed", params={"action": earlier.action}),
        program_version=version,
    )
    # What the member spent since is not taken twice: the lots give what they hold, the rest is recorded as
    # the entry's shortfall (as a refund in the program's default clamp mode).
    posting = debit(account(member), entry, tx.ledger.lots(member.id), now)
    tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member.id)]))
    return ActionResult(-earlier.points, member.id, repeated=False)


def _member(tx: Transaction, customer: str) -> Member:
    """The active member a report names by customer id or e-mail address; ActionRefused for anyone else."""
    found = tx.members.by_email(customer) if "@" in customer else tx.members.by_customer(customer)
    member = tx.members.get(found.id, lock=True) if found is not None else None
    if member is None or not member.active:
        raise ActionRefused("customer: no member of the program has this id or e-mail address")
    return member
