"""one document, many listings; crawl runs say whether they walked the whole source

Revision ID: b7d4e1f20a04
Revises: eaacc450e9b5
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models
from normalise.identity import date_key, doc_number_key

revision: str = 'b7d4e1f20a04'
down_revision: str | None = 'eaacc450e9b5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose rows reference `version` (and `change`, referenced by outbox), parent first: on SQLite
# rebuilding `version` drops it, which foreign keys (enforced, and not switchable inside this migration's
# transaction) refuse while rows reference it, so those rows step aside meanwhile (as in 0003).
_VERSION_DEPENDANTS = ('relation', 'change', 'outbox')


def upgrade() -> None:
    op.create_table('listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('native_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('doc_number', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('published', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('first_seen', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('matched_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('missed_runs', sa.Integer(), server_default='0', nullable=False),
    sa.Column('miss_checked_run_id', sa.Integer(), nullable=True),
    sa.Column('gone_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'native_id', name='uq_listing_source_native')
    )
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_doc_number'), ['doc_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_published'), ['published'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_source_id'), ['source_id'], unique=False)

    with op.batch_alter_table('crawlrun', schema=None, recreate='never') as batch_op:  # referenced by fetch
        batch_op.add_column(sa.Column('full_walk', sa.Boolean(), server_default=sa.true(), nullable=False))

    # Every archived document so far came from one listing: its own source and native id. Its last text
    # is what that listing last served; a `withdrawn` change after its last sighting means it is gone.
    op.execute(
        """
        INSERT INTO listing (document_id, source_id, native_id, url, title, doc_number, published,
                             first_seen, last_seen, content_hash, version_id, missed_runs, miss_checked_run_id,
                             gone_at)
        SELECT d.id, d.source_id, d.native_id, d.url, d.title, d.doc_number, d.published,
               d.first_seen, d.last_seen,
               (SELECT v.content_hash FROM version v WHERE v.document_id = d.id ORDER BY v.seq DESC LIMIT 1),
               d.current_version_id,
               d.missed_runs, d.miss_checked_run_id,
               (SELECT MAX(c.detected_at) FROM change c
                 WHERE c.document_id = d.id AND c.kind = 'withdrawn' AND c.detected_at >= d.last_seen)
        FROM document d
        """
    )
    # Listings are matched on the 文号 key and the publication day of normalise.identity.
    bind = op.get_bind()
    listings = bind.execute(sa.text("SELECT id, doc_number, published FROM listing")).all()
    for listing_id, doc_number, published in listings:
        keys = {'doc_number': doc_number_key(doc_number), 'published': date_key(published) or published}
        if (keys['doc_number'], keys['published']) != (doc_number, published):
            bind.execute(
                sa.text('UPDATE listing SET doc_number = :doc_number, published = :published WHERE id = :id'),
                {**keys, 'id': listing_id},
            )

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its foreign key in place only this way (batch mode would rebuild
        # `version`, which cannot be dropped while changes and relations reference it).
        op.execute('ALTER TABLE version ADD COLUMN listing_id INTEGER REFERENCES listing (id)')
    else:
        op.add_column('version', sa.Column('listing_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_version_listing_id_listing', 'version', 'listing', ['listing_id'], ['id'])
    op.create_index(op.f('ix_version_listing_id'), 'version', ['listing_id'], unique=False)
    op.execute('UPDATE version SET listing_id = (SELECT l.id FROM listing l WHERE l.document_id = version.document_id)')

    # recreate='never': SQLite drops the column in place (a rebuilt `document` could not be dropped while
    # other tables reference it).
    with op.batch_alter_table('document', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('miss_checked_run_id')


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('miss_checked_run_id', sa.Integer(), nullable=True))
    # A document keeps the miss count of the listing it was created from; its other listings are lost.
    op.execute(
        """
        UPDATE document SET
            miss_checked_run_id = (SELECT l.miss_checked_run_id FROM listing l
                                    WHERE l.source_id = document.source_id AND l.native_id = document.native_id),
            missed_runs = COALESCE((SELECT l.missed_runs FROM listing l
                                     WHERE l.source_id = document.source_id AND l.native_id = document.native_id), 0)
        """
    )

    op.drop_index(op.f('ix_version_listing_id'), table_name='version')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # SQLite cannot drop a column that is part of a foreign key in place: `version` is rebuilt.
        for table in _VERSION_DEPENDANTS:
            op.execute(f'CREATE TEMP TABLE {table}_during_0004 AS SELECT * FROM {table}')
        for table in reversed(_VERSION_DEPENDANTS):
            op.execute(f'DELETE FROM {table}')
        with op.batch_alter_table('version', schema=None) as batch_op:
            batch_op.drop_column('listing_id')
        for table in _VERSION_DEPENDANTS:
            op.execute(f'INSERT INTO {table} SELECT * FROM {table}_during_0004')
            op.execute(f'DROP TABLE {table}_during_0004')
    else:
        op.drop_constraint('fk_version_listing_id_listing', 'version', type_='foreignkey')
        op.drop_column('version', 'listing_id')

    with op.batch_alter_table('crawlrun', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('full_walk')

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_source_id'))
        batch_op.drop_index(batch_op.f('ix_listing_published'))
        batch_op.drop_index(batch_op.f('ix_listing_document_id'))
        batch_op.drop_index(batch_op.f('ix_listing_doc_number'))

    op.drop_table('listing')
