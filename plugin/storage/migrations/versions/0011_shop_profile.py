"""shops: the name and one-line postal address the shop has on its platform, to sign its mails with

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding them rewrites no rows, and a shop without them is signed with its host.
    op.add_column("shops", sa.Column("name", sa.String(length=255), nullable=True))
    op.add_column("shops", sa.Column("address", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("address")
        batch_op.drop_column("name")
