"""members fillfactor 80: a balance update stays on its page and adds no entry to the member indexes

Every order changes its member's balances. On full pages PostgreSQL writes the new row version to
another page and indexes it again in each member index; free room on the page lets it make a
heap-only (HOT) update instead. Pages written before this revision keep their fill until rewritten.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE members SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE members RESET (fillfactor)")
