"""one document, many listings (H2 fills this in)

Revision ID: b7d4e1f20a04
Revises: eaacc450e9b5
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = 'b7d4e1f20a04'
down_revision: str | None = 'eaacc450e9b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
