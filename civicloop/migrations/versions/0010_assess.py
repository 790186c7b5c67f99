"""assess: the fast path of the figures — each case's facts, the counts per day and slice,
and whether they are complete.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FLAGS = ("merged", "registered", "rejected", "dispatched", "closed", "open", "overdue", "due", "fed_back",
         "handling_due", "replied", "reworked", "returned", "wrongly_dispatched", "first_time", "extended",
         "extensions", "rated", "satisfied", "satisfied_or_basic", "patrol", "registered_on_time",
         "dispatched_on_time", "verified_on_time", "verified_by_grid_worker")
COUNTS = ("reported", "merged", "rejected", "registered_all", "registered", "registered_on_time", "dispatched",
          "dispatched_on_time", "dispatched_right", "returned", "wrongly_dispatched", "due", "closed_cohort",
          "closed_on_time", "closed_verified_on_time", "handling_due", "handled_on_time", "fed_back", "reworked",
          "replied", "first_time", "overdue", "overdue_open", "extended", "extensions", "rated", "satisfied",
          "satisfied_or_basic", "patrol_reports", "patrol_valid", "missed", "verified_by_worker",
          "verified_by_worker_on_time", "closed")


def upgrade() -> None:
    op.create_table('assess_case_facts',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('street_code', sa.String(length=9), nullable=True),
    sa.Column('community_code', sa.String(length=12), nullable=True),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=20), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('verifier_id', sa.Integer(), nullable=True),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in FLAGS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_case_facts'))
    )
    op.create_index('ix_assess_case_facts_reported_at', 'assess_case_facts', ['reported_at'], unique=False)
    op.create_index('ix_assess_case_facts_closed_at', 'assess_case_facts', ['closed_at'], unique=False)

    op.create_table('assess_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=12), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('delta', sa.Boolean(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_rollup'))
    )
    op.create_index('ix_assess_rollup_dimension_day', 'assess_rollup', ['dimension', 'day'], unique=False)
    op.create_index('ix_assess_rollup_delta_day', 'assess_rollup', ['delta', 'day'], unique=False)

    op.create_table('assess_rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.Column('rebuilt_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assess_rollup_state'))
    )
    # Complete from the start when there are no cases yet; otherwise `civicloop assess rebuild`.
    op.execute("INSERT INTO assess_rollup_state (id, ready) "
               "SELECT 1, NOT EXISTS (SELECT 1 FROM cases)")


def downgrade() -> None:
    op.drop_table('assess_rollup_state')
    op.drop_index('ix_assess_rollup_delta_day', table_name='assess_rollup')
    op.drop_index('ix_assess_rollup_dimension_day', table_name='assess_rollup')
    op.drop_table('assess_rollup')
    op.drop_index('ix_assess_case_facts_closed_at', table_name='assess_case_facts')
    op.drop_index('ix_assess_case_facts_reported_at', table_name='assess_case_facts')
    op.drop_table('assess_case_facts')
