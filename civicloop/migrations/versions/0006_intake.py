"""intake: the classifier's suggestion per case and the labelled examples operators leave.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_suggestions",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", name="fk_intake_suggestions_case_id_cases"),
                  nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("low_confidence", sa.Boolean(), nullable=False),
        sa.Column("not_chinese", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_intake_suggestions"),
    )
    op.create_table(
        "intake_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", name="fk_intake_examples_case_id_cases")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(),
                  sa.ForeignKey("categories.id", name="fk_intake_examples_category_id_categories"), nullable=False),
        sa.Column("category_path", sa.String(400), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("previous_label", sa.String(100)),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_intake_examples_actor_id_users")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_examples"),
    )
    op.create_index("ix_intake_examples_case_id", "intake_examples", ["case_id"])


def downgrade() -> None:
    op.drop_table("intake_examples")
    op.drop_table("intake_suggestions")
