"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('local_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_local_settings'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('name', name=op.f('uq_organizations_name'))
    )
    op.create_table('events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_events_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_events_organization_id_name'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_organization_id'), ['organization_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('owner', 'admin', 'manager', 'member', 'viewer', 'gate', 'station', name='role', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_members_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('organization_id', 'email', name=op.f('uq_members_organization_id_email'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_organization_id'), ['organization_id'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_categories_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_categories_event_id_name'))
    )
    op.create_table('event_series',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checkin_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checkin_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'active', 'completed', 'cancelled', name='series_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('reentry_policy', sa.Enum('single', 'reentry', 'unlimited', name='reentry_policy', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('recurrence_kind', sa.Enum('daily', 'weekly', 'every_n_days', name='recurrence_kind', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('recurrence_interval', sa.Integer(), nullable=True),
    sa.Column('recurrence_weekdays', sa.String(length=20), nullable=True),
    sa.Column('recurrence_count', sa.Integer(), nullable=True),
    sa.Column('parent_series_id', sa.Uuid(), nullable=True),
    sa.Column('sequence_number', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_event_series_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_event_series_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], name=op.f('fk_event_series_created_by_members')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_series_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_event_series_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_series_id'], ['event_series.id'], name=op.f('fk_event_series_parent_series_id_event_series'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_series')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_event_series_event_id_name'))
    )
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.create_index('ix_event_series_event_id', ['event_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_event_series_organization_id', ['organization_id'], unique=False)
        batch_op.create_index('ix_event_series_parent_series_id', ['parent_series_id'], unique=False)
        batch_op.create_index('ix_event_series_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('gates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('entry', 'exit', 'both', name='gate_kind', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_gates_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_gates_event_id_name'))
    )
    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sent', 'rejected', name='outbox_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_outbox_actor_id_members')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('id', name=op.f('uq_outbox_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_seq', ['status', 'seq'], unique=False)

    op.create_table('gate_categories',
    sa.Column('gate_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_gate_categories_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_gate_categories_gate_id_gates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gate_id', 'category_id', name=op.f('pk_gate_categories'))
    )
    op.create_table('series_category_limits',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('band_limit', sa.Integer(), nullable=False),
    sa.CheckConstraint('band_limit >= 0', name=op.f('ck_series_category_limits_limit_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_series_category_limits_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_category_limits_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'category_id', name=op.f('pk_series_category_limits'))
    )
    op.create_table('series_gates',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('gate_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_series_gates_gate_id_gates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_gates_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'gate_id', name=op.f('pk_series_gates'))
    )
    with op.batch_alter_table('series_gates', schema=None) as batch_op:
        batch_op.create_index('ix_series_gates_gate_id', ['gate_id'], unique=False)
        batch_op.create_index('ix_series_gates_series_id', ['series_id'], unique=False)

    op.create_table('series_metrics_cache',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_metrics_cache_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', name=op.f('pk_series_metrics_cache'))
    )
    op.create_table('series_state_transitions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('from_status', sa.Enum('draft', 'scheduled', 'active', 'completed', 'cancelled', name='from_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('to_status', sa.Enum('draft', 'scheduled', 'active', 'completed', 'cancelled', name='to_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_series_state_transitions_actor_id_members')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_state_transitions_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series_state_transitions'))
    )
    with op.batch_alter_table('series_state_transitions', schema=None) as batch_op:
        batch_op.create_index('ix_series_state_transitions_series_id_at', ['series_id', 'at'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=True),
    sa.Column('holder_email', sa.String(length=254), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_tickets_category_id_categories')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_tickets_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('event_id', 'code', name=op.f('uq_tickets_event_id_code'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_category_id', ['category_id'], unique=False)

    op.create_table('series_tickets',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_tickets_series_id_event_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_series_tickets_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'ticket_id', name=op.f('pk_series_tickets'))
    )
    with op.batch_alter_table('series_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_series_tickets_ticket_id', ['ticket_id'], unique=False)

    op.create_table('wristbands',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'void', 'lost', name='band_status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Uuid(), nullable=True),
    sa.Column('replaces_id', sa.Uuid(), nullable=True),
    sa.Column('batch_id', sa.Uuid(), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('encoded_by', sa.Uuid(), nullable=True),
    sa.Column('encoded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_wristbands_category_id_categories')),
    sa.ForeignKeyConstraint(['encoded_by'], ['members.id'], name=op.f('fk_wristbands_encoded_by_members')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_wristbands_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['wristbands.id'], name=op.f('fk_wristbands_replaces_id_wristbands')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_wristbands_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wristbands')),
    sa.UniqueConstraint('event_id', 'uid', name=op.f('uq_wristbands_event_id_uid'))
    )
    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.create_index('ix_wristbands_event_id_category_id', ['event_id', 'category_id'], unique=False)
        batch_op.create_index('ix_wristbands_ticket_id', ['ticket_id'], unique=False)
        batch_op.create_index('ix_wristbands_uid', ['uid'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_scan_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('gate_id', sa.Uuid(), nullable=False),
    sa.Column('wristband_id', sa.Uuid(), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=True),
    sa.Column('direction', sa.Enum('in', 'out', name='direction', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('result', sa.Enum('allowed', 'denied', name='checkin_result', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('reason', sa.Enum('ok', 'reentry', 'exit_ok', 'unknown_band', 'band_pending', 'band_void', 'band_lost', 'bad_signature', 'wrong_event', 'series_not_active', 'window_not_open', 'window_closed', 'not_assigned', 'gate_not_in_series', 'wrong_direction', 'category_not_allowed', 'category_full', 'series_full', 'already_inside', 'no_reentry', 'not_inside', name='reason', native_enum=False, create_constraint=True, length=28), nullable=False),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkins_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_checkins_gate_id_gates')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_checkins_series_id_event_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wristband_id'], ['wristbands.id'], name=op.f('fk_checkins_wristband_id_wristbands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('client_scan_id', name=op.f('uq_checkins_client_scan_id'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_gate_id_occurred_at', ['gate_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_checkins_series_id_occurred_at', ['series_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_checkins_wristband_id_series_id', ['wristband_id', 'series_id'], unique=False)

    op.create_table('series_presence',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('wristband_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('inside', sa.Boolean(), nullable=False),
    sa.Column('has_entered', sa.Boolean(), nullable=False),
    sa.Column('last_scan_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_series_presence_category_id_categories')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_presence_series_id_event_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wristband_id'], ['wristbands.id'], name=op.f('fk_series_presence_wristband_id_wristbands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'wristband_id', name=op.f('pk_series_presence'))
    )
    with op.batch_alter_table('series_presence', schema=None) as batch_op:
        batch_op.create_index('ix_series_presence_series_id_inside_category_id', ['series_id', 'inside', 'category_id'], unique=False)

    op.create_table('series_wristband_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('wristband_id', sa.Uuid(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by', sa.Uuid(), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['members.id'], name=op.f('fk_series_wristband_assignments_assigned_by_members')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_wristband_assignments_series_id_event_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wristband_id'], ['wristbands.id'], name=op.f('fk_series_wristband_assignments_wristband_id_wristbands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series_wristband_assignments')),
    sa.UniqueConstraint('series_id', 'wristband_id', name=op.f('uq_series_wristband_assignments_series_id_wristband_id'))
    )
    with op.batch_alter_table('series_wristband_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_series_wristband_assignments_series_id_active', ['series_id', 'active'], unique=False)
        batch_op.create_index('ix_series_wristband_assignments_wristband_id', ['wristband_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('series_wristband_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_series_wristband_assignments_wristband_id')
        batch_op.drop_index('ix_series_wristband_assignments_series_id_active')

    op.drop_table('series_wristband_assignments')
    with op.batch_alter_table('series_presence', schema=None) as batch_op:
        batch_op.drop_index('ix_series_presence_series_id_inside_category_id')

    op.drop_table('series_presence')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_wristband_id_series_id')
        batch_op.drop_index('ix_checkins_series_id_occurred_at')
        batch_op.drop_index('ix_checkins_gate_id_occurred_at')

    op.drop_table('checkins')
    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.drop_index('ix_wristbands_uid')
        batch_op.drop_index('ix_wristbands_ticket_id')
        batch_op.drop_index('ix_wristbands_event_id_category_id')

    op.drop_table('wristbands')
    with op.batch_alter_table('series_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_series_tickets_ticket_id')

    op.drop_table('series_tickets')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_category_id')

    op.drop_table('tickets')
    with op.batch_alter_table('series_state_transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_series_state_transitions_series_id_at')

    op.drop_table('series_state_transitions')
    op.drop_table('series_metrics_cache')
    with op.batch_alter_table('series_gates', schema=None) as batch_op:
        batch_op.drop_index('ix_series_gates_series_id')
        batch_op.drop_index('ix_series_gates_gate_id')

    op.drop_table('series_gates')
    op.drop_table('series_category_limits')
    op.drop_table('gate_categories')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_seq')

    op.drop_table('outbox')
    op.drop_table('gates')
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.drop_index('ix_event_series_status_starts_at')
        batch_op.drop_index('ix_event_series_parent_series_id')
        batch_op.drop_index('ix_event_series_organization_id')
        batch_op.drop_index('ix_event_series_event_id')

    op.drop_table('event_series')
    op.drop_table('categories')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_organization_id'))

    op.drop_table('members')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_organization_id'))

    op.drop_table('events')
    op.drop_table('organizations')
    op.drop_table('local_settings')
