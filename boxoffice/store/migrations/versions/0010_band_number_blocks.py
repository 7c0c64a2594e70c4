"""band numbers handed out by the server in blocks, so offline stations never print one twice

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Each station numbered its bands max+1 in its own database, so two stations
offline both printed GA #7. ``band_number_counters`` holds the server's next
free number per event and category (filled on first use from the highest
number already given, so existing databases need no data step), and
``band_number_blocks`` the blocks handed to stations; see
``boxoffice.services.band_numbers``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('band_number_counters',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_band_number_counters_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_band_number_counters_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'category_id', name=op.f('pk_band_number_counters'))
    )
    op.create_table('band_number_blocks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('first', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('next', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('station', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_band_number_blocks_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_band_number_blocks_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_band_number_blocks'))
    )
    with op.batch_alter_table('band_number_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_band_number_blocks_event_id_category_id', ['event_id', 'category_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('band_number_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_band_number_blocks_event_id_category_id')
    op.drop_table('band_number_blocks')
    op.drop_table('band_number_counters')
