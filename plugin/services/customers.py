"""Customers as their platform changes them: a new name or e-mail address, newsletter consent, a new
account, two customers merged into one.

All come as platform deliveries, accepted by the webhook and applied by the worker after the orders of
the same round (plugin/services/deliveries.py). A profile change carries the moment the platform made
it, so an older delivery that arrives late changes nothing.

Two bonuses follow what a delivery says of an active member (the program's `bonuses`; 0 is off):
- account: a member with a customer account on the shop, once per account, on the first creation or
  update delivery that finds the customer a member with an account (Shopify sends updates of guests too;
  a customer who joins, or makes the account, later is paid at their next one);
- newsletter: a subscribed member, once; a withdrawal takes it back (an entry with its reason), and a
  member who subscribes again is not paid again, so subscribing and withdrawing in turn earns nothing.
  What counts is every newsletter entry the member holds, those a merge brought along too: the person
  is paid once however many customers they were.
A frozen member (plugin/rules/eligibility.py) is paid neither while frozen; a withdrawal still takes back.
Marketing consent to the shop's newsletter is not consent to the app's own mails (Member.receives_marketing).

A merge moves the merged-away customer's membership to the customer the platform kept. When only the
merged-away customer is a member, the member now belongs to the kept customer. When both are, the kept
member takes the other's entries (their history), lots (with their expiry and pending state), orders,
codes and balances, the higher of the two tiers, and one pair of zero-point entries that says so on both
members; the member left behind is opted out, with no customer, e-mail or name. Moving the entries and
lots together with the balances keeps every balance equal to what its ledger adds up to (`loyalty verify`).
A repeat finds no member under the merged-away customer id and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, debit, expiry_for
from plugin.ledger.postings import NO_CHANGE, Posting, Postings, TierChange
from plugin.rules.bonuses import Paid, profile_bonuses
from plugin.rules.order_codec import dump_when, load_when
from plugin.rules.tiers import higher, tier_named
from plugin.services.eligibility import frozen
from plugin.services.records import ConsentSource, CustomerChange, CustomerMerge, CustomerProfile, Member, MemberStatus
from plugin.services.repositories import Transaction
from plugin.services.settlement import account


def dump_change(change: CustomerChange) -> dict[str, Any]:
    """A customer change as JSON, to wait in the outbox as a delivery."""
    if isinstance(change, CustomerMerge):
        return {"kept": change.kept_ref, "merged": change.merged_ref}
    return {
        "customer": change.customer_ref,
        "email": change.email,
        "name": change.name,
        "updated_at": dump_when(change.updated_at),
        "newsletter": change.newsletter,
        "tags": change.tags,
        "has_account": change.has_account,
    }


def load_change(data: dict[str, Any]) -> CustomerChange:
    """A customer change from its JSON."""
    if "merged" in data:
        return CustomerMerge(kept_ref=data["kept"], merged_ref=data["merged"])
    # Deliveries queued before newsletter consent and new accounts were read carry neither.
    return CustomerProfile(
        data["customer"],
        data["email"],
        data["name"],
        load_when(data["updated_at"]),
        newsletter=data.get("newsletter"),
        tags=data.get("tags"),  # queued before customer tags were read: says nothing of them
        has_account=data.get("has_account", False),  # queued before accounts were read: paid at the next one
    )


def locks_first(change: CustomerChange) -> str:
    """The customer whose member a change locks first: a merge locks both, the lower customer id first."""
    if isinstance(change, CustomerMerge):
        return min(change.kept_ref, change.merged_ref)
    return change.customer_ref


def change_customer(tx: Transaction, now: datetime, change: CustomerChange) -> None:
    """Apply one platform change of a customer in the caller's transaction; the same change again does nothing."""
    if isinstance(change, CustomerMerge):
        merge_customers(tx, now, change)
    else:
        update_profile(tx, now, change)


def update_profile(tx: Transaction, now: datetime, profile: CustomerProfile) -> None:
    """The member's name and e-mail address follow the customer's; the account and newsletter bonuses follow
    what the platform says (see the module).

    A change older than the one the member has is ignored. A value the platform left out (or redacted,
    as Shopify does without access to protected customer data) keeps what the member has."""
    member = tx.members.by_customer(profile.customer_ref, lock=True)
    if member is None or _older(profile.updated_at, member.profile_updated_at):
        return
    news = {"email": profile.email.strip().lower() if profile.email else None, "name": profile.name}
    changes: dict[str, Any] = {key: value for key, value in news.items() if value and value != getattr(member, key)}
    if profile.tags is not None and profile.tags != (member.customer_tags or ""):
        changes["customer_tags"] = profile.tags  # an owner may exclude by tag: the balance freezes or thaws
    if profile.updated_at is not None:
        changes["profile_updated_at"] = profile.updated_at
    tx.members.update_profile(member.id, **changes)
    if member.active:
        _earn(tx, now, member, profile)


def _earn(tx: Transaction, now: datetime, member: Member, profile: CustomerProfile) -> None:
    """Post the account and newsletter bonuses (or the newsletter's reversal) the profile calls for, once each."""
    version, program = tx.programs.current()
    keyed = {
        "account_bonus": keys.account_bonus_entry(profile.customer_ref),
        "newsletter_bonus": keys.newsletter_bonus_entry(member.id),
    }
    newsletter = tx.ledger.points_by_reason(member.id, ("newsletter_bonus", "newsletter_withdrawn"))
    paid = Paid(
        account=tx.ledger.entry_id(keyed["account_bonus"]) is not None,
        newsletter=newsletter.get("newsletter_bonus"),
        newsletter_taken_back=-newsletter.get("newsletter_withdrawn", 0),
    )
    # Frozen by the tags this delivery brings, if it brings any: a tag added with a subscription earns nothing.
    tags = member.customer_tags if profile.tags is None else profile.tags
    owed = profile_bonuses(program.bonuses, profile.newsletter, profile.has_account, paid, frozen=frozen(tags, program))
    if not owed:
        return
    if "newsletter_withdrawn" in owed:
        taken_back = paid.newsletter_taken_back - owed["newsletter_withdrawn"]
        keyed["newsletter_withdrawn"] = keys.newsletter_reversal_entry(member.id, taken_back)
    held, postings = account(member), []
    for code, points in owed.items():
        entry = NewEntry(
            kind=EntryKind.BONUS if points > 0 else EntryKind.REVERSE,
            points=points,
            idempotency_key=keyed[code],
            reason=Reason(code=code),
            program_version=version,
            expires_at=expiry_for(program, now) if points > 0 else None,
        )
        # What a withdrawing member spent since is not taken twice: the lots give what they hold, the rest is
        # the entry's shortfall (as a refund in the program's default clamp mode).
        posting = credit(held, entry, now) if points > 0 else debit(held, entry, tx.ledger.lots(member.id), now)
        postings.append(posting)
    tx.ledger.apply(Postings(postings=postings, jobs=[jobs.publish_member(member.id)]))


def _older(updated_at: datetime | None, known: datetime | None) -> bool:
    return updated_at is not None and known is not None and updated_at < known


def merge_customers(tx: Transaction, now: datetime, merge: CustomerMerge) -> None:
    """Move the merged-away customer's membership, orders and points to the kept customer (see the module)."""
    if merge.kept_ref == merge.merged_ref:
        return
    # The customer's orders follow, those no member earned on yet too (a later join of the kept customer claims
    # them). Orders first, then members in the order of their customers: as every batch of deliveries locks them.
    tx.orders.move_customer(merge.merged_ref, merge.kept_ref)
    found = {ref: tx.members.by_customer(ref, lock=True) for ref in sorted((merge.kept_ref, merge.merged_ref))}
    merged, kept = found[merge.merged_ref], found[merge.kept_ref]
    if merged is None:
        return
    if kept is None:
        tx.members.update_profile(merged.id, customer_ref=merge.kept_ref)
        tx.outbox.enqueue([jobs.publish_member(merged.id)], now)
        return
    _join(tx, now, merge, merged, kept)


def _join(tx: Transaction, now: datetime, merge: CustomerMerge, merged: Member, kept: Member) -> None:
    """Both customers are members: `kept` takes everything `merged` holds."""
    version, program = tx.programs.current()
    tx.members.hand_over(merged.id, kept.id)
    # The higher of the two tiers; a name the program lost counts for nothing.
    higher_tier = higher(tier_named(kept.tier, program.tiers), tier_named(merged.tier, program.tiers))
    tier = higher_tier.name if higher_tier else kept.tier
    postings = Postings(
        postings=[
            _marker(merged.id, keys.merge_entry(merged.id, "out"), "merged_into", merge.kept_ref, version, now),
            _marker(kept.id, keys.merge_entry(merged.id, "in"), "merged_with", merge.merged_ref, version, now),
        ],
        tiers=[TierChange(kept.id, tier)] if tier != kept.tier else [],
        jobs=[jobs.publish_member(kept.id)],
    )
    tx.ledger.apply(postings)
    tx.members.update_profile(kept.id, **_profile_gaps(kept, merged))
    if merged.active and not kept.active:
        # The customer's own consent, given under the other account, comes along.
        source = merged.consent_source or ConsentSource.MERGE
        tx.members.set_consent(kept.id, MemberStatus.ACTIVE, source, merged.terms_version, now)
    if merged.active:
        tx.members.set_consent(merged.id, MemberStatus.OPTED_OUT, ConsentSource.MERGE, merged.terms_version, now)
    # What is left names nobody: the customer id is gone on the platform, the person lives on in `kept`.
    tx.members.update_profile(merged.id, customer_ref=None, email=None, name=None, birthday=None, locale=None)


def _marker(member_id: int, key: str, code: str, customer_ref: str, version: int, now: datetime) -> Posting:
    entry = NewEntry(
        kind=EntryKind.MERGE,
        points=0,
        idempotency_key=key,
        reason=Reason(code=code, params={"customer": customer_ref}),
        program_version=version,
    )
    return Posting(member_id, entry, now, NO_CHANGE)


def _profile_gaps(kept: Member, merged: Member) -> dict[str, Any]:
    """What the kept member lacks and the merged one knew; the later last activity of the two."""
    gaps: dict[str, Any] = {
        key: getattr(merged, key)
        for key in ("email", "name", "locale", "birthday", "tier_floor")
        if getattr(kept, key) is None and getattr(merged, key) is not None
    }
    if merged.last_activity_at is not None and (
        kept.last_activity_at is None or merged.last_activity_at > kept.last_activity_at
    ):
        gaps["last_activity_at"] = merged.last_activity_at
    return gaps
