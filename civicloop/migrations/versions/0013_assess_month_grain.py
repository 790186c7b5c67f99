"""assess: the rollup's month grain — the same counts per calendar month, so a period of
whole months (a year by department and month) reads a row per month and key, not one per
day. Filled here from the day grain.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COUNTS = ("reported", "merged", "rejected", "registered_all", "registered", "registered_on_time", "dispatched",
          "dispatched_on_time", "dispatched_right", "returned", "wrongly_dispatched", "due", "closed_cohort",
          "closed_on_time", "closed_verified_on_time", "handling_due", "handled_on_time", "fed_back", "reworked",
          "replied", "first_time", "overdue", "overdue_open", "extended", "extensions", "rated", "satisfied",
          "satisfied_or_basic", "patrol_reports", "patrol_valid", "missed", "verified_by_worker",
          "verified_by_worker_on_time", "check_requested", "checked_on_time", "closed")


def upgrade() -> None:
    op.create_table(
        "assess_rollup_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("delta", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assess_rollup_month")),
    )
    op.create_index("ix_assess_rollup_month_dimension_day", "assess_rollup_month", ["dimension", "day"])
    op.create_index("ix_assess_rollup_month_delta_day", "assess_rollup_month", ["delta", "day"])
    month = ("date(day, 'start of month')" if op.get_bind().dialect.name == "sqlite"
             else "CAST(date_trunc('month', day) AS DATE)")
    counts = ", ".join(COUNTS)
    sums = ", ".join(f"sum({name})" for name in COUNTS)
    op.execute(f"INSERT INTO assess_rollup_month (day, dimension, \"key\", district_code, delta, {counts}) "
               f"SELECT {month}, dimension, \"key\", district_code, false, {sums} FROM assess_rollup "
               f"GROUP BY {month}, dimension, \"key\", district_code")


def downgrade() -> None:
    op.drop_index("ix_assess_rollup_month_delta_day", table_name="assess_rollup_month")
    op.drop_index("ix_assess_rollup_month_dimension_day", table_name="assess_rollup_month")
    op.drop_table("assess_rollup_month")
