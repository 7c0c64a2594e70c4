"""gate scanners: leases of places for admitting offline, device heartbeats, held places per series

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

``series_occupancy.held`` counts the places leased to gate scanners; an
online entry claims a place only while ``inside + held < capacity``.
``gate_leases`` are those leases, ``gate_devices`` each scanner's last
heartbeat. See ``boxoffice.services.gate_leases`` and ``gate_devices``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('series_occupancy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_series_occupancy_held_not_negative'), 'held >= 0')

    op.create_table('gate_leases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('gate_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_gate_leases_size_positive')),
    sa.CheckConstraint('used >= 0 AND used <= size', name=op.f('ck_gate_leases_used_within_size')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_gate_leases_series_id_event_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_gate_leases_gate_id_gates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_leases'))
    )
    with op.batch_alter_table('gate_leases', schema=None) as batch_op:
        batch_op.create_index('ix_gate_leases_series_id_returned_at', ['series_id', 'returned_at'], unique=False)

    op.create_table('gate_devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('lane', sa.String(length=120), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=True),
    sa.Column('gate_id', sa.Uuid(), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('oldest_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lane_count', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_gate_devices_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_devices')),
    sa.UniqueConstraint('organization_id', 'device_id', name=op.f('uq_gate_devices_organization_id_device_id'))
    )


def downgrade() -> None:
    op.drop_table('gate_devices')
    with op.batch_alter_table('gate_leases', schema=None) as batch_op:
        batch_op.drop_index('ix_gate_leases_series_id_returned_at')
    op.drop_table('gate_leases')
    with op.batch_alter_table('series_occupancy', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_series_occupancy_held_not_negative'), type_='check')
        batch_op.drop_column('held')
