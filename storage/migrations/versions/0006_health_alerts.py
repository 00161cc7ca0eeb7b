"""operator health alerts (H4 fills this in)

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
    pass


def downgrade() -> None:
    pass
