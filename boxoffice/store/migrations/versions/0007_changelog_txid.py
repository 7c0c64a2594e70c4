"""sync_changes: numbered by (transaction id, sequence), no longer from one row every commit waits on

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Each commit used to take its numbers from ``sync_state.last_seq``: on PostgreSQL every writer
queued on that row's lock. A change is now placed by its transaction's id and a number from the
sequence ``sync_changes_seq`` (PostgreSQL; SQLite numbers under its one write lock), and pulls
stop at the oldest transaction still running (see ``boxoffice.sync.changelog``).

Changes already logged keep their numbers and get transaction id 0: they stay first and in
order, and a station's cursor N (an integer) is the position (0, N), so no station misses or
repeats anything. The sequence starts above every number handed out, as ``seq`` stays the key.
``last_seq`` goes: a server process of the previous version still running against this
database then fails on its next write instead of numbering changes out of order.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column('sync_changes', sa.Column('txid', sa.BigInteger(), server_default='0', nullable=False))
    op.drop_index('ix_sync_changes_organization_id_seq', table_name='sync_changes')
    op.create_index('ix_sync_changes_organization_id_txid_seq', 'sync_changes',
                    ['organization_id', 'txid', 'seq'], unique=False)
    if postgres:
        op.execute("CREATE SEQUENCE sync_changes_seq")
        op.execute(
            "SELECT setval('sync_changes_seq', GREATEST((SELECT last_seq FROM sync_state WHERE id = 1), "
            "(SELECT coalesce(max(seq), 0) FROM sync_changes)) + 1, false)"
        )
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('last_seq')


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seq', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE sync_state SET last_seq = (SELECT coalesce(max(seq), 0) FROM sync_changes)")
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.alter_column('last_seq', server_default=None)
    # Numbers drawn from the sequence do not follow commit order: the log, read by number
    # alone, is no longer one a station's cursor can trust. A new log id makes every station
    # pull everything again.
    op.execute(
        sa.text("UPDATE local_settings SET value = :value WHERE key = 'changelog_id'")
        .bindparams(sa.bindparam("value", {"id": str(uuid.uuid4())}, type_=sa.JSON()))
    )
    op.drop_index('ix_sync_changes_organization_id_txid_seq', table_name='sync_changes')
    with op.batch_alter_table('sync_changes', schema=None) as batch_op:
        batch_op.drop_column('txid')
    op.create_index('ix_sync_changes_organization_id_seq', 'sync_changes', ['organization_id', 'seq'],
                    unique=False)
    if postgres:
        op.execute("DROP SEQUENCE sync_changes_seq")
