"""cases.assists_pending: how many assisting departments (联办) have yet to report back,
so that a lead department's feedback needs no look at case_assists when there are none.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("assists_pending", sa.Integer(), nullable=False, server_default="0"))
    op.execute("""UPDATE cases SET assists_pending = (SELECT count(*) FROM case_assists
                  WHERE case_assists.case_id = cases.id AND case_assists.fed_back_at IS NULL)""")


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("assists_pending")
