"""assess: 核实 (a grid worker sent to check a reported matter before 立案) — two facts per
case and two counts per rollup row. Rows kept before are right at 0: the actions are new.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = {"assess_case_facts": ("check_requested", "checked_on_time"),
           "assess_rollup": ("check_requested", "checked_on_time")}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.drop_column(name)
