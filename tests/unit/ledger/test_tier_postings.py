"""What reaching a tier posts besides the tier itself: its entry reward, keyed to the member and the tier."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.ledger.model import EntryKind, Reason
from plugin.ledger.posting import Account, entry_reward
from plugin.rules.program import Program

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROGRAM = Program.parse(
    {
        "tiers": {
            "levels": [
                {"name": "Silver", "threshold": "500", "entry_points": 100},
                {"name": "Gold", "threshold": "2000"},
            ]
        }
    }
)


def test_reaching_silver_credits_its_entry_points_once_by_their_key() -> None:
    account = Account(member_id=7, available=550, tier="Silver")
    posting = entry_reward(account, None, 3, PROGRAM, NOW)
    assert posting is not None
    assert (posting.entry.kind, posting.entry.points, posting.entry.idempotency_key) == (
        EntryKind.BONUS,
        100,
        "bonus:tier:7:Silver",
    )
    assert posting.entry.reason == Reason("tier_entry_bonus", {"tier": "Silver"})
    assert account.available == 650


def test_no_entry_reward_for_a_lower_tier_or_a_tier_without_one() -> None:
    assert entry_reward(Account(member_id=7, tier="Silver"), "Gold", 3, PROGRAM, NOW) is None
    assert entry_reward(Account(member_id=7, tier="Gold"), "Silver", 3, PROGRAM, NOW) is None
    assert entry_reward(Account(member_id=7, tier=None), "Silver", 3, PROGRAM, NOW) is None
