"""On PostgreSQL, refuse UPDATE and DELETE on the audit log in the database itself.

The only update let through is the actor becoming NULL (``on_delete=SET_NULL``
when that person's account is deleted); every other column must stay as it was.
TRUNCATE (the test suite's flush) is a statement-level operation and unaffected.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION community_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER community_auditentry_append_only
    BEFORE UPDATE OR DELETE ON community_auditentry
    FOR EACH ROW EXECUTE FUNCTION community_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS community_auditentry_append_only ON community_auditentry;
DROP FUNCTION IF EXISTS community_auditentry_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("community", "0002_hart_van_brabant")]
    operations = [migrations.RunPython(create, drop)]
