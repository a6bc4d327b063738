"""expiry_reminders: the expiry mails each member was sent (reminder, last chance), so none goes twice;
action_keys and action_awards: signed custom actions (a review, a survey) and the key they are signed with

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "expiry_reminders",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_expiry_reminders_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_expiry_reminders_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", "member_id", "kind", "expires_at", name=op.f("pk_expiry_reminders")),
    )

    op.create_table(
        "action_keys",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("sealed", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_action_keys_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_action_keys")),
    )
    op.create_table(
        "action_awards",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_action_awards_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_action_awards_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_awards")),
        sa.UniqueConstraint("shop_id", "request_id", name=op.f("uq_action_awards_shop_id_request_id")),
    )
    op.create_index(
        op.f("ix_action_awards_member_id_action_awarded_at"),
        "action_awards",
        ["member_id", "action", "awarded_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("action_awards")
    op.drop_table("action_keys")
    op.drop_table("expiry_reminders")
