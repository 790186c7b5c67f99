"""case_events is append-only: the database itself refuses to rewrite history.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "case_events is append-only: history is never rewritten"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""")
        op.execute("""CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
                      FOR EACH ROW EXECUTE FUNCTION case_events_append_only()""")
    else:
        op.execute(f"""CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
                       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER case_events_no_update" + (" ON case_events" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION case_events_append_only()")
