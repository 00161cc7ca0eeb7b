"""search index (H5 fills this in)

Revision ID: c8e5f2a31b05
Revises: b7d4e1f20a04
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = 'c8e5f2a31b05'
down_revision: str | None = 'b7d4e1f20a04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
