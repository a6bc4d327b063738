"""outbox: a partial index of each worker lane's waiting jobs, in claim order; shops: the last API slot promised

A claim reads the few jobs it takes from its lane's index instead of every due job of every lane, and a shop's
platform calls that must wait are each promised a slot after `calls_booked_until`.
The kinds are written out as they were at this revision (plugin/ledger/jobs.py LANE_KINDS then).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from plugin.storage.migrate import create_index_concurrently, drop_index_concurrently

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DELIVERIES = ("saleor_delivery", "shopify_delivery")
EMAILS = ("code_issued", "points_earned", "points_expiring", "tier_changed")
SCHEDULED = (
    "birthdays",
    "expire_codes",
    "expire_points",
    "reconcile",
    "release_pending",
    "remind_expiring",
    "repair_redemptions",
    "review_tiers",
)


def _listed(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{kind}'" for kind in sorted(kinds))


# Written exactly as plugin/storage/tables.py lane_condition writes them, which SQLite needs to use them.
LANES = {
    "deliveries": f"status = 'pending' AND kind IN ({_listed(DELIVERIES)})",
    "emails": f"status = 'pending' AND kind IN ({_listed(EMAILS)})",
    "scheduled": f"status = 'pending' AND kind IN ({_listed(SCHEDULED)})",
    "calls": f"status = 'pending' AND kind NOT IN ({_listed(DELIVERIES + EMAILS + SCHEDULED)})",
}


def upgrade() -> None:
    op.add_column("shops", sa.Column("calls_booked_until", sa.DateTime(timezone=True), nullable=True))
    for lane, condition in LANES.items():
        where = sa.text(condition)
        create_index_concurrently(
            f"ix_outbox_waiting_{lane}",
            "outbox",
            ["next_attempt_at", "id"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for lane in LANES:
        drop_index_concurrently(f"ix_outbox_waiting_{lane}", "outbox")
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("calls_booked_until")
