"""cases: one index on (state, reported_at) in place of the one on state alone, so that a
work queue or a list of one state, newest first, is read off the index without a sort.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_state", table_name="cases")
    op.create_index("ix_cases_state_reported_at", "cases", ["state", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_state_reported_at", table_name="cases")
    op.create_index("ix_cases_state", "cases", ["state"])
