"""PostgreSQL: store each search document's weighted tsvector and index that column.

Ranking a common word (发票 in a tenth of a million tickets) recomputed ``to_tsvector`` for every
match; a stored column is read instead. One vector serves both scopes: subject is weight A,
public text B, internal notes C, and a public-only search asks for ``:AB`` (see search.py).
Nothing changes on SQLite, whose FTS5 table already stores its index.
"""

from django.db import migrations

# The expressions of migration 0006, frozen here as migrations are.
PUBLIC_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, COALESCE(subject_tokens, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, COALESCE(public_tokens, '')), 'B')"
)
ALL_VECTOR = (
    PUBLIC_VECTOR
    + " || setweight(to_tsvector('simple'::regconfig, COALESCE(internal_tokens, '')), 'C')"
)

FORWARD = [
    f"ALTER TABLE desk_ticketsearchdocument ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({ALL_VECTOR}) STORED",
    "CREATE INDEX desk_ticket_search_vector ON desk_ticketsearchdocument USING gin (search_vector)",
    "DROP INDEX IF EXISTS desk_ticket_search_all",
    "DROP INDEX IF EXISTS desk_ticket_search_public",
]
BACKWARD = [
    f"CREATE INDEX desk_ticket_search_public ON desk_ticketsearchdocument USING gin (({PUBLIC_VECTOR}))",
    f"CREATE INDEX desk_ticket_search_all ON desk_ticketsearchdocument USING gin (({ALL_VECTOR}))",
    "ALTER TABLE desk_ticketsearchdocument DROP COLUMN search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("desk", "0008_closed_at_label")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
