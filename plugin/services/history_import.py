"""Historic import: a shop's past orders, posted as record_order would post them, a batch at a time.

Orders the shop has never seen are settled in memory by the same pure settlement record_order uses
(plugin/ledger/posting.py), on running accounts, and written together with bulk statements (one
transaction per batch). Orders it already knows, and a second event for an order in the same batch,
go through record_order_in, so a re-import changes nothing; their rows are read at once and, in a batch
transaction, their saves are written together (a resumed import re-reads many of them).

A customer who joins by an imported order claims their earlier orders (guest orders with their e-mail,
their own from before joining) as every other join does. The claim comes at the end of the batch, once its
orders are written, and one query tells which of the batch's joining members have anything to claim; a guest
order the batch holds from after the join is written after the claim, so it is not taken for an earlier one.

A friend's order (one that used a welcome code) gives the advocate their points as record_order gives them,
spendable at once as the order's own. The batch is cut after each such order, and the order settled at the end
of its part, so the referral's fraud rules see the shop's orders as record_order would whatever the batching.
"""

from __future__ import annotations

import contextvars
import gc
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.ledger.model import EntryKind
from plugin.ledger.posting import Account, EarningOrder, OrderFigures, settle_order
from plugin.ledger.postings import OutboxJob, Postings
from plugin.rules.eligibility import excluded_order, sort_lines, tags_of
from plugin.rules.orders import OrderFacts, OrderState, earning_rate, merge, placed_at
from plugin.rules.program import Enrollment, Program
from plugin.services import members as membership
from plugin.services import referrals
from plugin.services.batches import Raced, chunks, in_transactions
from plugin.services.eligibility import keep_customer_tags, product_collections_for, product_tags_for
from plugin.services.errors import UnknownShop
from plugin.services.orders import record_order_in
from plugin.services.points_back import give_back_in
from plugin.services.records import ConsentSource, Member, MemberStatus, OrderRecord
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account_of, claim_orders

ZERO = Decimal(0)
NOTHING_YET = OrderFigures(credited=0, postings=0, basis=ZERO)


@dataclass
class ImportReport:
    orders: int = 0  # read from the platform
    points: int = 0
    changed_orders: list[str] = field(default_factory=list)
    dry_run: bool = False
    imported: int = 0  # new to the shop, written (or, in a dry run, would be)
    skipped_shop: str | None = None  # why reconcile read nothing from the shop at all

    @property
    def skipped(self) -> int:
        """Orders the shop already had (or read twice): recorded again, which changes nothing unless they did."""
        return self.orders - self.imported


def import_history(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    orders: Iterable[OrderFacts],
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Record past orders in batches (one transaction each) with the result record_order would give.

    `progress` hears the report so far after each batch (a long import shows how far it got)."""
    report = ImportReport(dry_run=dry_run)
    for count, new, changes in in_transactions(
        uow,
        clock,
        shop_id,
        _read_ahead(chunks(orders, batch_size)),
        _import_batch,
        dry_run=dry_run,
        batch_transactions=True,
    ):
        report.orders += count
        report.imported += new
        for order_ref, change in changes:
            report.points += change
            report.changed_orders.append(order_ref)
        if progress is not None:
            progress(report)
    return report


def _read_ahead(batches: Generator[list[OrderFacts], None, None]) -> Generator[list[OrderFacts], None, None]:
    """The batches in order, read on a thread of its own while this one is written: up to three batches ahead (two
    waiting in the queue, and one the reader holds until there is room for it).

    Reading an order (a bulk file's JSON lines into facts) costs a seventh of importing it, and the database's
    part of a batch leaves the interpreter free (psycopg lets go of the GIL while it waits): the reading is
    done meanwhile. Whatever the reading raises is raised here, where that batch would have been."""
    ahead: queue.Queue[tuple[list[OrderFacts] | None, BaseException | None]] = queue.Queue(maxsize=2)
    stopped = threading.Event()

    def offer(item: tuple[list[OrderFacts] | None, BaseException | None]) -> bool:
        while not stopped.is_set():  # an import that failed takes nothing more: the reader stops too
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        # Only reads the platform's orders: the database's connections and transactions belong to the importing
        # thread, and this thread must never touch them.
        try:
            for batch in batches:
                if not offer((batch, None)):
                    return
            offer((None, None))
        except BaseException as error:  # handed over to the importing thread, which raises it
            offer((None, error))
        finally:
            # Stopped or done: the batches' generator ends now, in the thread that ran it (no other thread may close it
            # while it runs), rather than whenever it is collected.
            batches.close()

    # In the caller's context: what the reading logs carries the request it serves (observability.py).
    reader = threading.Thread(target=contextvars.copy_context().run, args=(read,), name="history-import-reader")
    reader.daemon = True
    reader.start()
    try:
        while True:
            batch, error = ahead.get()
            if error is not None:
                raise error
            if batch is None:
                return
            yield batch
    finally:
        stopped.set()


def _import_batch(tx: Transaction, now: datetime, batch: list[OrderFacts]) -> tuple[int, int, list[tuple[str, int]]]:
    """Import one batch; returns its size, how many were new and (order_ref, points posted) for each that changed."""
    if tx.shop.get() is None:
        raise UnknownShop(str(tx.shop_id))
    new = 0
    changes: list[tuple[str, int]] = []
    for part in _up_to_each_welcome(batch):
        part_new, part_changes = _import_part(tx, now, part)
        new += part_new
        changes.extend(part_changes)
    return len(batch), new, changes


def _up_to_each_welcome(batch: list[OrderFacts]) -> Iterator[list[OrderFacts]]:
    """The batch in parts, each ending with an event that used a welcome code (the last part may not).

    A friend's order is settled at the end of its part, so the referral's fraud rules see the shop's orders as
    record_order would: none the batch holds from after it. Welcome codes are on few orders; a cut costs the
    next part a round of the batch's reads."""
    part: list[OrderFacts] = []
    for facts in batch:
        part.append(facts)
        if _used_welcome(facts):
            yield part
            part = []
    if part:
        yield part


def _import_part(tx: Transaction, now: datetime, part: list[OrderFacts]) -> tuple[int, list[tuple[str, int]]]:
    """Import one part of a batch; returns how many were new and (order_ref, points posted) for each that changed."""
    known = tx.orders.known([facts.order_ref for facts in part])
    new: dict[str, OrderFacts] = {}
    again: list[OrderFacts] = []
    for facts in part:
        if facts.order_ref in known or facts.order_ref in new:
            again.append(facts)
        else:
            new[facts.order_ref] = facts
    # The known orders' rows are read at once (before any member's, the order every batch locks them in):
    # a batch transaction keeps them, and their saves wait to be written together.
    tx.orders.lock_many(known, now)
    with _collector_paused():
        changes, referred = _post_new_orders(tx, now, list(new.values()))
    customers = {facts.customer_ref for facts in again if facts.customer_ref}
    before = tx.members.many(customers) if customers else {}
    for facts in again:
        outcome = record_order_in(tx, now, facts, kind=EntryKind.IMPORT)
        if outcome.change:
            changes.append((outcome.order_ref, outcome.change))
    if customers:
        # record_order_in leaves an import's join unclaimed: the claim is this batch's, as for its new orders.
        after = tx.members.many(customers).items()
        _claim(tx, now, [m for c, m in after if m.active and not (c in before and before[c].active)])
    for order in referred:  # a new order of a friend: the advocate's points follow it, as record_order_in posts them
        referrals.settle_referral_in(tx, now, order, kind=EntryKind.IMPORT)
    return len(new), changes


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch is settled and written.

    A batch holds about ten small objects per order until it is written; allocating them set the
    collector off again and again, rescanning them and all else the process holds (a fifth of the
    import's time on SQLite, measured). The batch makes no reference cycles: reference counting frees it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _post_new_orders(
    tx: Transaction, now: datetime, batch: list[OrderFacts]
) -> tuple[list[tuple[str, int]], list[OrderRecord]]:
    """Settle orders the shop has never seen on running accounts, and write them all at once.

    Returns (order_ref, points posted) for each that earned, and the orders that used a welcome code, whose
    referral the caller settles once the rest of the part is in."""
    current = tx.programs.current()
    program = current[1]
    tags, collections = product_tags_for(tx, batch, program), product_collections_for(tx, batch, program)
    states = [merge(None, sort_lines(facts, None, program.exclusions, tags, collections)) for facts in batch]
    buyers, members, joined_jobs, joins = _buyers(tx, now, batch, states, program)
    accounts = {member.id: account_of(tx, member, program, now) for member in members.values()}
    # New members are published whether or not one of their orders earns in this batch.
    postings = Postings(jobs=joined_jobs)
    orders: list[OrderRecord] = []
    after_joining: list[OrderRecord] = []  # guest orders from after a member joined with their e-mail
    joined_with = {members[customer].email: at for customer, at in joins.items() if members[customer].email}
    uses: list[tuple[str, str]] = []
    changes: list[tuple[str, int]] = []
    for at, state in enumerate(states):
        member = buyers.get(state.order_ref)
        if member is not None and state.paid and excluded_order(state, _tags(batch[at], member), program.exclusions):
            state = replace(state, excluded=True)  # as record_order_in marks it: it never earns
        order = OrderRecord(id=0, order_ref=state.order_ref, state=state, paid_at=now if state.paid else None)
        if member is not None and state.paid and not state.excluded:
            account = accounts[member.id]
            _earn(order, account, program, current, now, postings)
            if order.credited:
                changes.append((order.order_ref, order.credited))
        elif member is not None:
            order.member_id = member.id
        joined_at = joined_with.get(state.email.lower()) if state.customer_ref is None and state.email else None
        (after_joining if joined_at is not None and joined_at < at else orders).append(order)
        uses.extend((code, state.order_ref) for code in state.discount_codes)
    if tx.orders.add_many(orders, now) != len(orders):
        raise Raced()
    tx.redemptions.consume_codes(uses, now)
    postings.jobs = _first_of_each(postings.jobs)
    if postings.postings:
        tx.ledger.apply(postings, new=True)  # the jobs ride along, in the same statement
    else:
        tx.outbox.enqueue(postings.jobs, now)
    for state in states:
        give_back_in(tx, now, state)  # the points of codes used on orders refunded before the import
    _claim(tx, now, [members[customer] for customer in joins])
    if after_joining and tx.orders.add_many(after_joining, now) != len(after_joining):
        raise Raced()
    referred = [order for order in orders + after_joining if _used_welcome(order.state)]
    return changes, referred


def _used_welcome(facts: OrderFacts) -> bool:
    """Whether the order used a welcome code: only then can it be a friend's (every welcome code has the prefix)."""
    return any(code.upper().startswith(referrals.WELCOME) for code in facts.discount_codes)


def _tags(facts: OrderFacts, member: Member) -> tuple[str, ...]:
    """The buyer's tags: the order's own if it gave them, else those the member row keeps."""
    return facts.customer_tags if facts.customer_tags is not None else tags_of(member.customer_tags)


def _claim(tx: Transaction, now: datetime, joined: list[Member]) -> None:
    """The members who joined in this batch claim their earlier orders; a second claim finds nothing left.

    One query finds who has anything to claim (most joining customers have not); only they claim, one
    after the other in the order they joined, as each join would (a claim takes orders, never adds any)."""
    _version, program = tx.programs.current()
    if not joined or not program.guest_claim.enabled:
        return
    since = now - timedelta(days=program.guest_claim.days_kept)
    customers = {member.customer_ref for member in joined if member.customer_ref}
    emails = {member.email for member in joined if member.email}
    claimants = tx.orders.claimants(customers, emails, since)
    by_customer = {customer for customer, _email in claimants}
    by_email = {email for _customer, email in claimants}
    for member in joined:
        if member.customer_ref in by_customer or (member.email and member.email.lower() in by_email):
            claim_orders(tx, now, tx.members.get(member.id, lock=True) or member, program)


def _earn(
    order: OrderRecord,
    account: Account,
    program: Program,
    current: tuple[int, Program],
    now: datetime,
    postings: Postings,
) -> None:
    """Settle a new paid order of a member as record_order would: it earns with the tier held now."""
    version = current[0]
    multiplier = earning_rate(account.tier, program, placed_at(order.state, order.paid_at))
    earning = EarningOrder(order.order_ref, order.state, version, program, multiplier, order.paid_at, NOTHING_YET)
    figures, _ = settle_order(earning, account, [], current, now, kind=EntryKind.IMPORT, into=postings)
    order.member_id = account.member_id
    order.earning = True
    order.program_version = version
    order.multiplier = multiplier
    order.credited, order.postings, order.basis = figures.credited, figures.postings, figures.basis


def _first_of_each(queued: list[OutboxJob]) -> list[OutboxJob]:
    """One job per dedupe key, the first, as the outbox's unique key decides for single inserts."""
    seen: set[str] = set()
    kept = []
    for job in queued:
        if job.dedupe_key is None or job.dedupe_key not in seen:
            kept.append(job)
            if job.dedupe_key is not None:
                seen.add(job.dedupe_key)
    return kept


def _buyers(
    tx: Transaction, now: datetime, batch: list[OrderFacts], states: list[OrderState], program: Program
) -> tuple[dict[str, Member], dict[str, Member], list[OutboxJob], dict[str, int]]:
    """The active member behind each order, enrolling buyers exactly when record_order would.

    Returns the buyers by order, every member involved by customer (row-locked for the rest of the
    transaction), the jobs that publish new members and where in `states` each customer joined.
    Customers new to the shop join together in one statement (the first import makes nearly all of a
    shop's members); one who had left and opts in again goes through enroll.
    """
    members = tx.members.many({state.customer_ref for state in states if state.customer_ref}, lock=True)
    joining: dict[str, dict[str, Any]] = {}
    joins: dict[str, int] = {}
    buying: dict[str, str] = {}  # order_ref: customer_ref of an active member at that order
    for at, state in enumerate(states):
        customer = state.customer_ref
        if customer is None:
            continue  # a guest: remembered by e-mail on the order row, claimable later
        member = members.get(customer)
        wants_in = state.opted_in or program.enrollment is Enrollment.AUTOMATIC
        if member is None and wants_in and customer not in joining:
            joining[customer] = _joining(state, program, now)
            joins[customer] = at
        elif member is not None and member.status == MemberStatus.OPTED_OUT and state.opted_in:
            # With the tags the order gives, as record_order keeps them: a frozen member gets no signup bonus.
            member = keep_customer_tags(tx, member, batch[at])
            member = members[customer] = membership.enroll(
                tx, now, customer, state.email, ConsentSource.IMPORT, locale=state.locale, claim=False, locked=member
            )
            joins[customer] = at
        if customer in joining or (member is not None and member.active):
            buying[state.order_ref] = customer
    joined = tx.members.add_many(list(joining.values()))
    if len(joined) != len(joining):
        raise Raced()  # the redo finds those customers' member rows
    members.update(joined)
    published = [jobs.publish_member(member.id) for member in joined.values()]
    buyers = {order_ref: members[customer] for order_ref, customer in buying.items()}
    return buyers, members, published, joins


def _joining(state: OrderState, program: Program, now: datetime) -> dict[str, Any]:
    """The member row enroll would leave for a customer new to the shop who joins with this order.

    Balances start at zero, with no signup bonus: these customers were buying before the program
    existed, and a bonus for each at once would be a bill the owner never agreed to.
    """
    return {
        "customer_ref": state.customer_ref,
        "email": state.email.lower() if state.email else None,
        "locale": state.locale,
        "status": MemberStatus.ACTIVE,
        "consent_at": now,
        "consent_source": ConsentSource.IMPORT,
        "terms_version": program.terms_version,
        "created_at": now,
    }
