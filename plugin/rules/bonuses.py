"""Bonuses for what a customer's profile says: an account on the shop, the shop's newsletter.

Worked example (account 20, newsletter 30): a member's first update with an account pays 20; subscribed,
30 more; withdrawn, -30; subscribed again, nothing (the newsletter pays once per member, so subscribing
and withdrawing in turn earns nothing); withdrawn again, nothing. Two members merged, each paid 30 and
neither withdrawn: a withdrawal takes back 60. A frozen member (excluded by a customer tag) earns no bonus
while frozen, but a withdrawal still takes back what was paid; the bonuses not paid then are paid at the first
delivery after the thaw that calls for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugin.rules.program import Bonuses


@dataclass(frozen=True)
class Paid:
    """What the member was paid before: the account bonus, the newsletter bonuses' points (None: never paid)
    and the points taken back of them since; a merge brings the other member's along."""

    account: bool = False
    newsletter: int | None = None
    newsletter_taken_back: int = 0


def profile_bonuses(
    bonuses: Bonuses, newsletter: bool | None, has_account: bool, paid: Paid, *, frozen: bool = False
) -> dict[str, int]:
    """The points a member's profile calls for, by reason code; a reversal first, so it takes from older lots.

    `newsletter`: subscribed (True), not subscribed (False), or not said (None: changes nothing);
    `has_account`: the customer has an account on the shop (a guest earns no account bonus);
    `frozen`: the member's balance is frozen (only a withdrawal applies)."""
    owed: dict[str, int] = {}
    if newsletter is False and paid.newsletter is not None and paid.newsletter > paid.newsletter_taken_back:
        owed["newsletter_withdrawn"] = paid.newsletter_taken_back - paid.newsletter
    if frozen:
        return owed
    if bonuses.account and has_account and not paid.account:
        owed["account_bonus"] = bonuses.account
    if newsletter is True and bonuses.newsletter and paid.newsletter is None:
        owed["newsletter_bonus"] = bonuses.newsletter
    return owed
