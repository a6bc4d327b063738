"""shops.program_version for cache-friendly reads; indexes for the widget's expiry and open codes

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.add_column(sa.Column("program_version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE shops SET program_version = "
        "(SELECT MAX(version) FROM program_versions WHERE program_versions.shop_id = shops.id)"
    )
    op.create_index(
        "ix_lots_open_by_expiry",
        "lots",
        ["member_id", "expires_at"],
        sqlite_where=sa.text("remaining > 0"),
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_index(op.f("ix_redemptions_member_id_status"), "redemptions", ["member_id", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_redemptions_member_id_status"), table_name="redemptions")
    op.drop_index("ix_lots_open_by_expiry", table_name="lots")
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("program_version")
