"""sync: state, change log, applied entries; check-ins outlive a dropped band

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('last_seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state')),
    )
    op.execute("INSERT INTO sync_state (id, mode, last_seq) VALUES (1, 'local', 0)")
    op.create_table(
        'sync_changes',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('pk', sa.Text(), nullable=False),
        sa.Column('row', sa.Text(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_changes')),
    )
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.create_index('ix_sync_changes_organization_id_seq', ['organization_id', 'seq'],
                              unique=False)
    op.create_table(
        'sync_applied_entries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=True),
        sa.Column('station', sa.String(length=120), nullable=True),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_applied_entries')),
    )
    with op.batch_alter_table('sync_applied_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_applied_entries_organization_id'),
                              ['organization_id'], unique=False)
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('fk_checkins_wristband_id_wristbands', type_='foreignkey')
        batch_op.create_foreign_key('fk_checkins_wristband_id_wristbands', 'wristbands',
                                    ['wristband_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.drop_constraint('fk_wristbands_replaces_id_wristbands', type_='foreignkey')
        batch_op.create_foreign_key('fk_wristbands_replaces_id_wristbands', 'wristbands',
                                    ['replaces_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('wristbands', schema=None) as batch_op:
        batch_op.drop_constraint('fk_wristbands_replaces_id_wristbands', type_='foreignkey')
        batch_op.create_foreign_key('fk_wristbands_replaces_id_wristbands', 'wristbands',
                                    ['replaces_id'], ['id'])
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('fk_checkins_wristband_id_wristbands', type_='foreignkey')
        batch_op.create_foreign_key('fk_checkins_wristband_id_wristbands', 'wristbands',
                                    ['wristband_id'], ['id'])
    with op.batch_alter_table('sync_applied_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_applied_entries_organization_id'))
    op.drop_table('sync_applied_entries')
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_changes_organization_id_seq')
    op.drop_table('sync_changes')
    op.drop_table('sync_state')
