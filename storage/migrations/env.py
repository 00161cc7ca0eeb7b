"""Alembic environment: migrations run on the connection policywatch hands over (see storage/migrate.py)."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The search index (storage/search.py) is per-dialect SQL with no model: FTS5 and its shadow tables on
    # SQLite, a tsvector table on PostgreSQL. Autogenerate must not offer to drop it.
    return not (type_ == "table" and reflected and compare_to is None and (name or "").startswith("search_"))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
