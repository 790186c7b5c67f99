"""assess: the rollup's 旬, quarter and year grains — the same counts per 旬 (1st–10th,
11th–20th, 21st–end of a month), calendar quarter and year, so that a period cut anywhere
reads its whole years and at most six days and four 旬, months or quarters on either side
(a year by grid cell: a row per cell, not twelve). Filled here from the day grain (旬) and
the month grain (quarters, years).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COUNTS = ("reported", "merged", "rejected", "registered_all", "registered", "registered_on_time", "dispatched",
          "dispatched_on_time", "dispatched_right", "returned", "wrongly_dispatched", "due", "closed_cohort",
          "closed_on_time", "closed_verified_on_time", "handling_due", "handled_on_time", "fed_back", "reworked",
          "replied", "first_time", "overdue", "overdue_open", "extended", "extensions", "rated", "satisfied",
          "satisfied_or_basic", "patrol_reports", "patrol_valid", "missed", "verified_by_worker",
          "verified_by_worker_on_time", "check_requested", "checked_on_time", "check_requested_on_time", "closed")
# table: (the grain it is summed from, its first day in SQLite, in PostgreSQL)
GRAINS = {
    "assess_rollup_dekad": (
        "assess_rollup",
        "date(day, 'start of month', '+' || (min((CAST(strftime('%d', day) AS INTEGER) - 1) / 10, 2) * 10) || ' days')",
        "CAST(date_trunc('month', day) AS DATE) + LEAST((CAST(EXTRACT(DAY FROM day) AS INTEGER) - 1) / 10, 2) * 10"),
    "assess_rollup_quarter": (
        "assess_rollup_month",
        "date(day, 'start of month', '-' || ((CAST(strftime('%m', day) AS INTEGER) - 1) % 3) || ' months')",
        "CAST(date_trunc('quarter', day) AS DATE)"),
    "assess_rollup_year": ("assess_rollup_month", "date(day, 'start of year')", "CAST(date_trunc('year', day) AS DATE)"),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    counts = ", ".join(COUNTS)
    sums = ", ".join(f"sum({name})" for name in COUNTS)
    for table, (source, first_sqlite, first_postgresql) in GRAINS.items():
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("dimension", sa.String(length=12), nullable=False),
            sa.Column("key", sa.String(length=20), nullable=False),
            sa.Column("district_code", sa.String(length=6), nullable=False),
            sa.Column("delta", sa.Boolean(), nullable=False),
            *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        first = first_sqlite if sqlite else first_postgresql
        op.execute(f"INSERT INTO {table} (day, dimension, \"key\", district_code, delta, {counts}) "
                   f"SELECT {first}, dimension, \"key\", district_code, false, {sums} FROM {source} "
                   f"GROUP BY {first}, dimension, \"key\", district_code")
        op.create_index(f"ix_{table}_dimension_day", table, ["dimension", "day"])
        op.create_index(f"ix_{table}_delta_day", table, ["delta", "day"])


def downgrade() -> None:
    for table in GRAINS:
        op.drop_index(f"ix_{table}_delta_day", table_name=table)
        op.drop_index(f"ix_{table}_dimension_day", table_name=table)
        op.drop_table(table)
