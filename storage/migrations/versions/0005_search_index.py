"""search index: CJK bigram tokens of each document's current version (storage/search.py)

A derived index without foreign keys, so a later migration that rebuilds ``document`` on SQLite does not
trip over it. SQLite: an FTS5 table (rowid = document id) beside ``search_entry``, which records the
indexed version. PostgreSQL: ``search_entry`` holds the token strings and a tsvector with a GIN index.

Revision ID: c8e5f2a31b05
Revises: b7d4e1f20a04
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'c8e5f2a31b05'
down_revision: str | None = 'b7d4e1f20a04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE search_entry ("
            " document_id INTEGER NOT NULL PRIMARY KEY,"
            " version_id INTEGER NOT NULL)"
        )
        # unicode61 over space-separated tokens: CJK bigrams are letters to it, so each stays one token.
        # prefix='1': one-character queries are prefix queries; this index made them 3-4x faster.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 0', prefix = '1')"
        )
    else:
        op.execute(
            "CREATE TABLE search_entry ("
            " document_id INTEGER NOT NULL PRIMARY KEY,"
            " version_id INTEGER NOT NULL,"
            " title_tokens TEXT NOT NULL,"
            " body_tokens TEXT NOT NULL,"
            " vector TSVECTOR NOT NULL)"
        )
        # fastupdate off: with GIN's pending list, rows indexed since the last vacuum are scanned one by one
        # and the planner, counting them, fell back to reading every vector (130 ms instead of 0.1 ms).
        op.execute(
            "CREATE INDEX ix_search_entry_vector ON search_entry USING GIN (vector) WITH (fastupdate = off)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_entry")
