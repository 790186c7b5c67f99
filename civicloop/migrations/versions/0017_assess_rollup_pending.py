"""assess: the cases whose facts wait to be brought up to date — an action writes its case
here instead of recomputing the rollup in its own transaction; rollup.catch_up takes them
in batches. Cases already kept are up to date: the table starts empty.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("assess_rollup_pending",
                    sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("case_id", name=op.f("pk_assess_rollup_pending")))


def downgrade() -> None:
    op.drop_table("assess_rollup_pending")
