"""outbox: an index of the waiting jobs by shop and kind, so the inbox drain's pick reads no done jobs

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_outbox_pending_by_shop_kind",
        "outbox",
        ["shop_id", "kind", "id"],
        sqlite_where=pending,
        postgresql_where=pending,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_by_shop_kind", table_name="outbox")
