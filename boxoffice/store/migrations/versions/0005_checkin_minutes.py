"""checkin_minutes: check-ins counted per gate and minute, kept by triggers on SQLite

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The gate monitor's first picture of a day with a million check-ins cannot
afford a GROUP BY over all of them (7 s measured through the gate index,
2-4 s with a full scan, target 2 s); triggers keep the counts as rows are
inserted, updated or deleted, and existing check-ins are counted once here.
Only SQLite gets the triggers (a station's file, and a server run on SQLite
such as the demo's); PostgreSQL, where the central server's verify endpoint
should not pay for a table nobody there reads, keeps it empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KEY = "gate_id, minute, result, reason, device_id"

ADD = """
    INSERT INTO checkin_minutes (gate_id, minute, result, reason, device_id, event_id, scans, last_at)
    VALUES (NEW.gate_id, substr(NEW.occurred_at, 1, 16), NEW.result, NEW.reason, NEW.device_id,
            NEW.event_id, 1, NEW.occurred_at)
    ON CONFLICT ({key}) DO UPDATE SET scans = scans + 1, last_at = max(last_at, excluded.last_at);
""".format(key=KEY)

TAKE = """
    UPDATE checkin_minutes SET scans = scans - 1
    WHERE gate_id = OLD.gate_id AND minute = substr(OLD.occurred_at, 1, 16) AND result = OLD.result
      AND reason = OLD.reason AND device_id = OLD.device_id;
    DELETE FROM checkin_minutes
    WHERE gate_id = OLD.gate_id AND minute = substr(OLD.occurred_at, 1, 16) AND result = OLD.result
      AND reason = OLD.reason AND device_id = OLD.device_id AND scans <= 0;
"""

TRIGGERS = {
    "checkin_minutes_insert": f"AFTER INSERT ON checkins BEGIN {ADD} END",
    "checkin_minutes_delete": f"AFTER DELETE ON checkins BEGIN {TAKE} END",
    "checkin_minutes_update": ("AFTER UPDATE OF gate_id, occurred_at, result, reason, device_id, event_id "
                               f"ON checkins BEGIN {TAKE} {ADD} END"),
}


def upgrade() -> None:
    op.create_table('checkin_minutes',
    sa.Column('gate_id', sa.Uuid(), nullable=False),
    sa.Column('minute', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Enum('allowed', 'denied', name='checkin_result', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('reason', sa.Enum('ok', 'reentry', 'exit_ok', 'unknown_band', 'band_pending', 'band_void', 'band_lost', 'bad_signature', 'wrong_event', 'series_not_active', 'window_not_open', 'window_closed', 'not_assigned', 'gate_not_in_series', 'wrong_direction', 'category_not_allowed', 'category_full', 'series_full', 'already_inside', 'no_reentry', 'not_inside', name='reason', native_enum=False, create_constraint=True, length=28), nullable=False),
    sa.Column('device_id', sa.String(length=120), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('gate_id', 'minute', 'result', 'reason', 'device_id', name=op.f('pk_checkin_minutes')),
    sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "INSERT INTO checkin_minutes (gate_id, minute, result, reason, device_id, event_id, scans, last_at) "
        "SELECT gate_id, substr(occurred_at, 1, 16), result, reason, device_id, min(event_id), count(*), "
        "max(occurred_at) FROM checkins GROUP BY gate_id, substr(occurred_at, 1, 16), result, reason, device_id"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('checkin_minutes')
