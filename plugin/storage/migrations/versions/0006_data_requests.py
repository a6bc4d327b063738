"""data_requests: customers' requests for their data, answered by the shop owner from the admin

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("request_ref", sa.String(length=64), nullable=True),
        sa.Column("customer_ref", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_data_requests_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
        sa.UniqueConstraint("shop_id", "request_ref", name=op.f("uq_data_requests_shop_id_request_ref")),
    )


def downgrade() -> None:
    op.drop_table("data_requests")
