"""The HTTP service: sign-in tokens and API keys, rate-limit windows, job leases, and
full-text search over cases (PostgreSQL: GIN on to_tsvector; SQLite: an FTS5 table).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_api_tokens_user_id_users"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_rate_windows"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_table(
        "case_search",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", name="fk_case_search_case_id_cases"),
                  nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_search"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_case_search_tokens ON case_search USING gin (to_tsvector('simple', tokens))")
    else:
        op.execute("CREATE VIRTUAL TABLE case_search_fts USING fts5(tokens, content='case_search', "
                   "content_rowid='case_id')")
        op.execute("""CREATE TRIGGER case_search_fts_insert AFTER INSERT ON case_search BEGIN
                        INSERT INTO case_search_fts(rowid, tokens) VALUES (new.case_id, new.tokens); END""")
        op.execute("""CREATE TRIGGER case_search_fts_delete AFTER DELETE ON case_search BEGIN
                        INSERT INTO case_search_fts(case_search_fts, rowid, tokens)
                        VALUES ('delete', old.case_id, old.tokens); END""")
        op.execute("""CREATE TRIGGER case_search_fts_update AFTER UPDATE ON case_search BEGIN
                        INSERT INTO case_search_fts(case_search_fts, rowid, tokens)
                        VALUES ('delete', old.case_id, old.tokens);
                        INSERT INTO case_search_fts(rowid, tokens) VALUES (new.case_id, new.tokens); END""")
    # Cases made before this revision become searchable too.
    rows = op.get_bind().execute(sa.text("SELECT id, title, body FROM cases")).all()
    if rows:
        from civicloop.cases.search import tokens
        op.get_bind().execute(sa.text("INSERT INTO case_search (case_id, tokens) VALUES (:case_id, :tokens)"),
                              [{"case_id": r.id, "tokens": tokens(r.title + " " + r.body)} for r in rows])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE case_search_fts")
    for table in ("case_search", "leases", "rate_windows", "api_tokens"):
        op.drop_table(table)
