"""occupancy kept as counters; scan ids unique per event instead of across the whole database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``series_occupancy`` and ``category_occupancy`` hold how many bands are inside
each series (and of each category), so an entry claims its place with one
conditional statement instead of counting everyone inside on every tap; they
are filled here from ``series_presence``, which they must always equal.

``checkins.client_scan_id`` was unique in the whole database, so one
organization's scan id could answer another's tap as a "replay". It is now
unique per event (and so per organization). SQLite cannot drop a UNIQUE
constraint in place: the table is rebuilt (batch mode), and the per-minute
triggers of 0005, which a rebuild drops, are created again from 0005 itself.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _minute_triggers() -> dict[str, str]:
    """The triggers exactly as 0005 declares them (loaded by path: migration files are not a package)."""
    path = Path(__file__).with_name("0005_checkin_minutes.py")
    spec = importlib.util.spec_from_file_location("_boxoffice_migration_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    triggers: dict[str, str] = module.TRIGGERS
    return triggers


def _rescope_scan_ids(new: list[str], old_name: str, new_name: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(old_name, 'checkins', type_='unique')
        op.create_unique_constraint(new_name, 'checkins', new)
        return
    triggers = _minute_triggers()
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('checkins', recreate='always') as batch_op:
        batch_op.drop_constraint(old_name, type_='unique')
        batch_op.create_unique_constraint(new_name, new)
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    op.create_table('series_occupancy',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('inside', sa.Integer(), nullable=False),
    sa.CheckConstraint('inside >= 0', name=op.f('ck_series_occupancy_inside_not_negative')),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_series_occupancy_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', name=op.f('pk_series_occupancy'))
    )
    op.create_table('category_occupancy',
    sa.Column('series_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('inside', sa.Integer(), nullable=False),
    sa.CheckConstraint('inside >= 0', name=op.f('ck_category_occupancy_inside_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_occupancy_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['event_series.id'], name=op.f('fk_category_occupancy_series_id_event_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', 'category_id', name=op.f('pk_category_occupancy'))
    )
    op.execute(
        "INSERT INTO series_occupancy (series_id, inside) "
        "SELECT series_id, count(*) FROM series_presence WHERE inside GROUP BY series_id"
    )
    op.execute(
        "INSERT INTO category_occupancy (series_id, category_id, inside) "
        "SELECT series_id, category_id, count(*) FROM series_presence WHERE inside "
        "GROUP BY series_id, category_id"
    )
    _rescope_scan_ids(['event_id', 'client_scan_id'],
                      'uq_checkins_client_scan_id', 'uq_checkins_event_id_client_scan_id')


def downgrade() -> None:
    # Fails if two events now share a scan id: a database cannot go back to global ids then.
    _rescope_scan_ids(['client_scan_id'],
                      'uq_checkins_event_id_client_scan_id', 'uq_checkins_client_scan_id')
    op.drop_table('category_occupancy')
    op.drop_table('series_occupancy')
