"""door sales: products with kept quota counters, place leases, orders, refunds, the waitlist

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

A product's ``product_counters`` row keeps its quota, what is sold and what
leases and waitlist offers hold, moved by one conditional UPDATE per sale
(``sold + held <= quota`` is also a check constraint);
``place_leases`` are the blocks of places stations sell from offline. See
``boxoffice.services.place_leases``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('operator_id', sa.Uuid(), nullable=True),
    sa.Column('holder_name', sa.String(length=200), nullable=True),
    sa.Column('holder_email', sa.String(length=254), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.Column('payment', sa.Enum('cash', 'card', 'complimentary', name='payment_kind', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('tendered_minor', sa.Integer(), nullable=True),
    sa.Column('change_minor', sa.Integer(), nullable=True),
    sa.Column('card_reference', sa.String(length=64), nullable=True),
    sa.Column('comp_reason', sa.Text(), nullable=True),
    sa.Column('sold_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_orders_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_orders_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('organization_id', 'reference', name=op.f('uq_orders_organization_id_reference'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_event_id_sold_at', ['event_id', 'sold_at'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sales_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sales_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_products_category_id_categories')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_products_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_products_event_id_name'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('payment', sa.Enum('cash', 'card', 'complimentary', name='refund_payment_kind', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('operator_id', sa.Uuid(), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_order_id', ['order_id'], unique=False)

    op.create_table('place_leases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_place_leases_size_positive')),
    sa.CheckConstraint('used >= 0 AND used <= size', name=op.f('ck_place_leases_used_within_size')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_place_leases_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_leases'))
    )
    with op.batch_alter_table('place_leases', schema=None) as batch_op:
        batch_op.create_index('ix_place_leases_product_id_returned_at', ['product_id', 'returned_at'], unique=False)

    op.create_table('product_counters',
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.CheckConstraint('held >= 0', name=op.f('ck_product_counters_held_not_negative')),
    sa.CheckConstraint('quota >= 0', name=op.f('ck_product_counters_quota_not_negative')),
    sa.CheckConstraint('sold + held <= quota', name=op.f('ck_product_counters_within_quota')),
    sa.CheckConstraint('sold >= 0', name=op.f('ck_product_counters_sold_not_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_counters_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_counters'))
    )
    op.create_table('product_series',
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_series_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_product_series_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'series_id', name=op.f('pk_product_series'))
    )
    with op.batch_alter_table('product_series', schema=None) as batch_op:
        batch_op.create_index('ix_product_series_series_id', ['series_id'], unique=False)

    op.create_table('sold_tickets',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('lease_id', sa.Uuid(), nullable=True),
    sa.Column('refund_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_sold_tickets_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_sold_tickets_product_id_products')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_sold_tickets_refund_id_refunds')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sold_tickets_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_sold_tickets'))
    )
    with op.batch_alter_table('sold_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_sold_tickets_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_sold_tickets_product_id', ['product_id'], unique=False)

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('contact_key', sa.String(length=254), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'offered', 'served', 'expired', name='waitlist_status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_waitlist_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_waitlist_entries_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    sa.UniqueConstraint('product_id', 'contact_key', name=op.f('uq_waitlist_entries_product_id_contact_key'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_product_id_status', ['product_id', 'status', 'added_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waitlist_entries_product_id_status')

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('sold_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_sold_tickets_product_id')
        batch_op.drop_index('ix_sold_tickets_order_id')

    op.drop_table('sold_tickets')
    with op.batch_alter_table('product_series', schema=None) as batch_op:
        batch_op.drop_index('ix_product_series_series_id')

    op.drop_table('product_series')
    op.drop_table('product_counters')
    with op.batch_alter_table('place_leases', schema=None) as batch_op:
        batch_op.drop_index('ix_place_leases_product_id_returned_at')

    op.drop_table('place_leases')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_order_id')

    op.drop_table('refunds')
    op.drop_table('products')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_event_id_sold_at')

    op.drop_table('orders')
