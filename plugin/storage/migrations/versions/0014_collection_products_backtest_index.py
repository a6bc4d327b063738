"""The products of the collections a program names, and an index to stream a shop's orders in paid order.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from plugin.storage.migrate import create_index_concurrently, drop_index_concurrently

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The products of each collection a program names: orders do not carry collections.
    op.create_table(
        "collection_products",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("collection_ref", sa.String(length=255), nullable=False),
        sa.Column("product_ref", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_collection_products_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", "collection_ref", "product_ref", name=op.f("pk_collection_products")),
    )
    op.create_index(
        op.f("ix_collection_products_shop_id_product_ref"), "collection_products", ["shop_id", "product_ref"]
    )
    # The backtest streams a shop's orders in the order they were paid: read in index order, with no sort first.
    # orders can be large: built without blocking its writes (migrations/README.md).
    create_index_concurrently("ix_orders_shop_id_paid_at_id", "orders", ["shop_id", "paid_at", "id"])


def downgrade() -> None:
    op.drop_table("collection_products")
    drop_index_concurrently("ix_orders_shop_id_paid_at_id", "orders")
