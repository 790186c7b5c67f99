"""assess: the kept facts indexed by slice and date, so the cases behind a rare figure of
one department, street, community or grid (误派 of a small department in a month) are
read from that slice's cases of the period, not picked out of all the period's cases.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SLICE_COLUMNS = ("lead_department_id", "street_code", "community_code", "grid_code")


def upgrade() -> None:
    for column in SLICE_COLUMNS:
        op.create_index(f"ix_assess_case_facts_{column}_reported_at", "assess_case_facts",
                        [column, "reported_at", "id"], unique=False)


def downgrade() -> None:
    for column in SLICE_COLUMNS:
        op.drop_index(f"ix_assess_case_facts_{column}_reported_at", table_name="assess_case_facts")
