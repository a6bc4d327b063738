"""members: profile_updated_at (customers/update), tier_floor (a tier set by hand), customer_tags (exclusions);
orders: ix_orders_unclaimed (the history import's claims); redemptions: points_back and ix_redemptions_order
(points back on refunds); referral_codes and referrals; product_tags (exclusions); shops: time_zone

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from plugin.storage.migrate import create_index_concurrently, drop_index_concurrently

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # When the platform last changed the customer's profile: an older customers/update then changes nothing.
    op.add_column("members", sa.Column("profile_updated_at", sa.DateTime(timezone=True), nullable=True))
    # orders can be large: built without blocking its writes (migrations/README.md).
    create_index_concurrently(
        "ix_orders_unclaimed",
        "orders",
        ["shop_id", "customer_ref"],
        sqlite_where=sa.text("earning = false"),
        postgresql_where=sa.text("earning = false"),
    )
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.add_column(sa.Column("points_back", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_redemptions_order", "redemptions", ["shop_id", "order_ref"])
    # Nullable, no default: adding it rewrites no rows; NULL means the tier follows the member's progress.
    op.add_column("members", sa.Column("tier_floor", sa.String(length=40), nullable=True))
    # Referrals: each member's share code, and each friend's welcome code with what it earned the advocate.
    op.create_table(
        "referral_codes",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_referral_codes_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_referral_codes_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", "member_id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_referral_codes_shop_id_code")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("advocate_id", Id, nullable=False),
        sa.Column("friend_email", sa.String(length=320), nullable=False),
        sa.Column("friend_customer_ref", sa.String(length=255), nullable=True),
        sa.Column("welcome_code", sa.String(length=40), nullable=False),
        sa.Column("issued", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("order_ref", sa.String(length=255), nullable=True),
        sa.Column("blocked_by", sa.String(length=24), nullable=True),
        sa.Column("program_version", sa.Integer(), nullable=True),
        sa.Column("credited", sa.BigInteger(), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["advocate_id"], ["members.id"], name=op.f("fk_referrals_advocate_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_referrals_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("shop_id", "friend_email", name=op.f("uq_referrals_shop_id_friend_email")),
        sa.UniqueConstraint("shop_id", "welcome_code", name=op.f("uq_referrals_shop_id_welcome_code")),
    )
    op.create_index(op.f("ix_referrals_shop_id_order_ref"), "referrals", ["shop_id", "order_ref"])
    op.create_index(
        op.f("ix_referrals_advocate_id_status_decided_at"), "referrals", ["advocate_id", "status", "decided_at"]
    )
    op.create_index(op.f("ix_referrals_shop_id_status"), "referrals", ["shop_id", "status"])
    # The customer's tags as the platform last gave them: an owner may exclude customers by tag. Nullable, no default.
    op.add_column("members", sa.Column("customer_tags", sa.Text(), nullable=True))
    # Each product's tags as the platform last sent them: an owner may exclude products by tag.
    op.create_table(
        "product_tags",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("product_ref", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_product_tags_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", "product_ref", name=op.f("pk_product_tags")),
    )
    # The shop's time zone, fetched with its name and address. Nullable, no default: adding it rewrites no rows.
    op.add_column("shops", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("time_zone")
    op.drop_table("product_tags")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("customer_tags")
    op.drop_table("referrals")
    op.drop_table("referral_codes")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("tier_floor")
    op.drop_index("ix_redemptions_order", table_name="redemptions")
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.drop_column("points_back")
    drop_index_concurrently("ix_orders_unclaimed", "orders")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("profile_updated_at")
