"""Full-text and trigram indexes, on PostgreSQL only (SQLite searches by plain matching)."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS signal_search_vector_idx ON signals_signal USING gin (search_vector);
CREATE INDEX IF NOT EXISTS signal_title_trgm_idx ON signals_signal USING gin (title gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS signal_title_trgm_idx;
DROP INDEX IF EXISTS signal_search_vector_idx;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("signals", "0003_search")]
    operations = [migrations.RunPython(create, drop)]
