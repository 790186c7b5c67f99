"""notify: the notification outbox (what reporters are told, and whether it was sent); and
cases: an index on (grid_code, reported_at) in place of the one on grid_code, so that the
duplicate check reads the cases of a few grid cells within a time window off the index.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", name="fk_notifications_case_id_cases"),
                  nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(),
                  sa.ForeignKey("users.id", name="fk_notifications_recipient_user_id_users")),
        sa.Column("recipient_phone", sa.String(32)),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])
    op.create_index("ix_notifications_status_id", "notifications", ["status", "id"])
    op.drop_index("ix_cases_grid_code", table_name="cases")
    op.create_index("ix_cases_grid_reported_at", "cases", ["grid_code", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_grid_reported_at", table_name="cases")
    op.create_index("ix_cases_grid_code", "cases", ["grid_code"])
    op.drop_table("notifications")
