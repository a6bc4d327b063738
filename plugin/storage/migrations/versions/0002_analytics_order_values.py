"""analytics pre-aggregates: order values and weekly points, and an index to find recently changed orders

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_values',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('buyer', sa.BigInteger(), nullable=False),
    sa.Column('identified', sa.Boolean(), nullable=False),
    sa.Column('member', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_values_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_values_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_values')),
    sa.UniqueConstraint('order_id', name=op.f('uq_order_values_order_id'))
    )
    op.create_index(op.f('ix_order_values_shop_id_paid_at'), 'order_values', ['shop_id', 'paid_at'], unique=False, postgresql_include=['member', 'buyer', 'value', 'counted'])
    never_joined = 'counted IS true AND identified IS true AND member IS false'
    op.create_index(op.f('ix_order_values_shop_id_buyer'), 'order_values', ['shop_id', 'buyer'], unique=False, postgresql_where=sa.text(never_joined), sqlite_where=sa.text(never_joined))
    op.create_index('ix_orders_shop_id_updated_at', 'orders', ['shop_id', 'updated_at'], unique=False)
    op.create_table('weekly_points',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_weekly_points_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'week', 'kind', name=op.f('pk_weekly_points'))
    )


def downgrade() -> None:
    op.drop_table('weekly_points')
    op.drop_index('ix_orders_shop_id_updated_at', table_name='orders')
    op.drop_index(op.f('ix_order_values_shop_id_buyer'), table_name='order_values')
    op.drop_index(op.f('ix_order_values_shop_id_paid_at'), table_name='order_values')
    op.drop_table('order_values')
