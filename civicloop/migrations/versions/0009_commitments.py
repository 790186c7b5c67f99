"""commitments: tracked targets and 实事, their co-departments, milestones, progress
reports, 督办, links from cases, the append-only history and the bulletins issued.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MESSAGE = "tracked_item_events is append-only: history is never rewritten"
TABLES = ('tracked_items', 'tracked_item_departments', 'milestones', 'progress_reports', 'supervisions', 'case_commitment_links', 'tracked_item_events', 'bulletins')


def upgrade() -> None:
    op.create_table('tracked_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source_sentence', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=False),
    sa.Column('dropped_at', sa.DateTime(), nullable=True),
    sa.Column('drop_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tracked_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['departments.id'], name=op.f('fk_tracked_items_lead_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_items'))
    )
    op.create_index(op.f('ix_tracked_items_district_code'), 'tracked_items', ['district_code'], unique=False)
    op.create_index(op.f('ix_tracked_items_lead_department_id'), 'tracked_items', ['lead_department_id'], unique=False)
    op.create_index(op.f('ix_tracked_items_year'), 'tracked_items', ['year'], unique=False)

    op.create_table('tracked_item_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_tracked_item_departments_department_id_departments')),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_tracked_item_departments_item_id_tracked_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_item_departments')),
    sa.UniqueConstraint('item_id', 'department_id', name='item_department')
    )
    op.create_index(op.f('ix_tracked_item_departments_department_id'), 'tracked_item_departments', ['department_id'], unique=False)
    op.create_index(op.f('ix_tracked_item_departments_item_id'), 'tracked_item_departments', ['item_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('target_quantity', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_milestones_item_id_tracked_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    op.create_index(op.f('ix_milestones_item_id'), 'milestones', ['item_id'], unique=False)

    op.create_table('progress_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_progress_reports_department_id_departments')),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_progress_reports_item_id_tracked_items')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_progress_reports_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_progress_reports_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_reports'))
    )
    op.create_index(op.f('ix_progress_reports_created_at'), 'progress_reports', ['created_at'], unique=False)
    op.create_index(op.f('ix_progress_reports_item_id'), 'progress_reports', ['item_id'], unique=False)

    op.create_table('supervisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_supervisions_item_id_tracked_items')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_supervisions_leader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervisions'))
    )
    op.create_index(op.f('ix_supervisions_created_at'), 'supervisions', ['created_at'], unique=False)
    op.create_index(op.f('ix_supervisions_item_id'), 'supervisions', ['item_id'], unique=False)

    op.create_table('case_commitment_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_commitment_links_case_id_cases')),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_case_commitment_links_item_id_tracked_items')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_case_commitment_links_linked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_commitment_links')),
    sa.UniqueConstraint('case_id', 'item_id', name='case_item')
    )
    op.create_index(op.f('ix_case_commitment_links_case_id'), 'case_commitment_links', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_commitment_links_item_id'), 'case_commitment_links', ['item_id'], unique=False)

    op.create_table('tracked_item_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_tracked_item_events_actor_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['tracked_items.id'], name=op.f('fk_tracked_item_events_item_id_tracked_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_item_events')),
    sa.UniqueConstraint('item_id', 'seq', name='item_seq')
    )
    op.create_index(op.f('ix_tracked_item_events_at'), 'tracked_item_events', ['at'], unique=False)
    op.create_index(op.f('ix_tracked_item_events_item_id'), 'tracked_item_events', ['item_id'], unique=False)

    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('statuses', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_bulletins_issued_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins'))
    )
    op.create_index(op.f('ix_bulletins_district_code'), 'bulletins', ['district_code'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION tracked_item_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""")
        op.execute("""CREATE TRIGGER tracked_item_events_no_update BEFORE UPDATE ON tracked_item_events
                      FOR EACH ROW EXECUTE FUNCTION tracked_item_events_append_only()""")
    else:
        op.execute(f"""CREATE TRIGGER tracked_item_events_no_update BEFORE UPDATE ON tracked_item_events
                       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # indexes and the trigger go with their table
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION tracked_item_events_append_only()")
