"""reports: a covering index for the per-gate, per-result tallies of a series' check-ins

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The series report tallies a million check-ins by gate, result, reason and minute. Reading them
through (series_id, occurred_at) fetches every table row (~9 s on SQLite); this index holds all
the columns the tally needs, so it is read alone and in order (~1.5 s).
"""

from __future__ import annotations

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_series_tally',
                              ['series_id', 'gate_id', 'result', 'reason', 'occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_series_tally')
