"""saleor_api_urls: the Saleor API URLs and patterns allowed to install the app, kept by the operator

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "saleor_api_urls",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saleor_api_urls")),
        sa.UniqueConstraint("url", name=op.f("uq_saleor_api_urls_url")),
    )


def downgrade() -> None:
    op.drop_table("saleor_api_urls")
