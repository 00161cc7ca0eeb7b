"""operator health alerts: open/cleared conditions per source and their notices to operators

Revision ID: d9f6a3b42c06
Revises: c8e5f2a31b05
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = 'd9f6a3b42c06'
down_revision: str | None = 'c8e5f2a31b05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'healthalert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('condition', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('opened_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('cleared_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('clear_evidence', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('healthalert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_healthalert_subject'), ['subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_healthalert_cleared_at'), ['cleared_at'], unique=False)
        batch_op.create_index(
            'uq_healthalert_open',
            ['subject', 'condition'],
            unique=True,
            sqlite_where=sa.text('cleared_at IS NULL'),
            postgresql_where=sa.text('cleared_at IS NULL'),
        )
    op.create_table(
        'healthnotice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['healthalert.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'subscription', 'alert_id', 'event', name='uq_healthnotice_subscription_alert_event'
        ),
    )
    with op.batch_alter_table('healthnotice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_healthnotice_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_healthnotice_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_healthnotice_subscription'), ['subscription'], unique=False)


def downgrade() -> None:
    op.drop_table('healthnotice')
    with op.batch_alter_table('healthalert', schema=None) as batch_op:
        batch_op.drop_index('uq_healthalert_open')
    op.drop_table('healthalert')
