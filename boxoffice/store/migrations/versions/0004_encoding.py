"""encoding: event keys, tag secrets, batches, band status columns

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The private half of an event key never leaves the database that made it;
bands keep their signed payload and the secret their password comes from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tag_secrets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_tag_secrets_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_secrets'))
    )
    with op.batch_alter_table('tag_secrets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_secrets_organization_id'), ['organization_id'], unique=False)

    op.create_table('event_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('private_key', sa.String(length=64), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_keys_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_keys')),
    sa.UniqueConstraint('event_id', 'key_id', name=op.f('uq_event_keys_event_id_key_id'))
    )
    op.create_table('encode_batches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('series_ids', sa.JSON(), nullable=False),
    sa.Column('operator_id', sa.Uuid(), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('requested', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'completed', 'cancelled', name='batch_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('encoded', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_encode_batches_category_id_categories')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_encode_batches_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['members.id'], name=op.f('fk_encode_batches_operator_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encode_batches'))
    )
    with op.batch_alter_table('encode_batches', schema=None) as batch_op:
        batch_op.create_index('ix_encode_batches_event_id_started_at', ['event_id', 'started_at'], unique=False)

    op.create_table('encode_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('band_id', sa.Uuid(), nullable=True),
    sa.Column('outcome', sa.Enum('ok', 'duplicate', 'foreign_tag', 'locked', 'write_failed', 'removed', name='encode_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['encode_batches.id'], name=op.f('fk_encode_log_batch_id_encode_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encode_log'))
    )
    with op.batch_alter_table('encode_log', schema=None) as batch_op:
        batch_op.create_index('ix_encode_log_batch_id_at', ['batch_id', 'at'], unique=False)

    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('tag_secret_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lost_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('lost_at')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('tag_secret_id')
        batch_op.drop_column('payload')

    with op.batch_alter_table('encode_log', schema=None) as batch_op:
        batch_op.drop_index('ix_encode_log_batch_id_at')

    op.drop_table('encode_log')
    with op.batch_alter_table('encode_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_encode_batches_event_id_started_at')

    op.drop_table('encode_batches')
    op.drop_table('event_keys')
    with op.batch_alter_table('tag_secrets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_secrets_organization_id'))

    op.drop_table('tag_secrets')
