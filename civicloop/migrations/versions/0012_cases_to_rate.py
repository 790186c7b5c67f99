"""cases: indexes for the closed cases still to rate (回访) or rated dissatisfied (重办), the
operator's and the supervisor's own queue among years of closed cases.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_state_rated_at", "cases", ["state", "rated_at"], unique=False)
    op.create_index("ix_cases_state_rating", "cases", ["state", "rating"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_state_rating", table_name="cases")
    op.drop_index("ix_cases_state_rated_at", table_name="cases")
