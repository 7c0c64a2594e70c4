"""reports: a covering index for the per-gate, per-result tallies of a series' check-ins

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The series report tallies a million check-ins by gate, result, reason and minute. Reading them
through (series_id, occurred_at) fetches every table row (~9 s on SQLite); this index holds all
the columns the tally needs, so it is read alone and in order (~1.5 s).
"""

from __future__ import annotations

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Plain CREATE/DROP INDEX, not batch mode: a batch rebuild of ``checkins`` on SQLite would drop the
# per-minute triggers of 0005.
def upgrade() -> None:
    op.create_index('ix_checkins_series_tally', 'checkins',
                    ['series_id', 'gate_id', 'result', 'reason', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_checkins_series_tally', table_name='checkins')
