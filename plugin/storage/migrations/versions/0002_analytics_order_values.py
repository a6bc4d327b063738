"""analytics: order values pre-aggregate, and an index to find recently changed orders

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
    sa.Column('customer_key', sa.String(length=330), nullable=False),
    sa.Column('member', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_values_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_values_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_values')),
    sa.UniqueConstraint('order_id', name=op.f('uq_order_values_order_id'))
    )
    op.create_index(op.f('ix_order_values_shop_id_paid_at'), 'order_values', ['shop_id', 'paid_at'], unique=False, postgresql_include=['member', 'customer_key', 'value', 'counted'])
    op.create_index(op.f('ix_order_values_shop_id_member_customer_key'), 'order_values', ['shop_id', 'member', 'customer_key'], unique=False, postgresql_where=sa.text('counted IS true'), sqlite_where=sa.text('counted = 1'))
    op.create_index('ix_orders_shop_id_updated_at', 'orders', ['shop_id', 'updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_shop_id_updated_at', table_name='orders')
    op.drop_index(op.f('ix_order_values_shop_id_member_customer_key'), table_name='order_values')
    op.drop_index(op.f('ix_order_values_shop_id_paid_at'), table_name='order_values')
    op.drop_table('order_values')
