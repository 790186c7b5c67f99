"""assess: 按时派发核实 (受理员) — the operator's 派核实 before the first step's deadline, a
fact per case and a count per rollup row at both grains. Cases checked before this have
it too, so a database with cases has its fast path marked incomplete: figures are
counted live until `civicloop assess rebuild` fills it again.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("assess_case_facts", "assess_rollup", "assess_rollup_month")
COLUMN = "check_requested_on_time"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(COLUMN, sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE assess_rollup_state SET ready = false WHERE EXISTS (SELECT 1 FROM cases)")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(COLUMN)
