"""money columns wide enough for 10^15 with four decimals, in any currency (IDR and VND orders pass 10^10)

Revision ID: 0008
Revises: 0007
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NARROW = sa.Numeric(precision=14, scale=4)
WIDE = sa.Numeric(precision=20, scale=4)
# Every money column: {table: [(column, nullable)]}.
MONEY = {"orders": [("multiplier", True), ("basis", False)], "order_values": [("value", False)]}


def upgrade() -> None:
    _retype(NARROW, WIDE)


def downgrade() -> None:
    _retype(WIDE, NARROW)


def _retype(old: sa.Numeric[Decimal], new: sa.Numeric[Decimal]) -> None:
    # PostgreSQL widens a numeric in place; SQLite copies each table (batch mode).
    for table, columns in MONEY.items():
        with op.batch_alter_table(table) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(name, existing_type=old, type_=new, existing_nullable=nullable)
