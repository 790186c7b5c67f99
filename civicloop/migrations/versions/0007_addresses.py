"""addresses: the standard address registry (一标三实 标准地址) per grid cell, and what
intake made of each case's written address.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "address_registries",
        sa.Column("district_code", sa.String(length=12), sa.ForeignKey("regions.code"), primary_key=True),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "standard_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), sa.ForeignKey("regions.code"), nullable=False),
        sa.Column("grid_code", sa.String(length=20), sa.ForeignKey("grid_cells.code"), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("road", sa.String(length=60)),
        sa.Column("door_number", sa.String(length=20)),
        sa.Column("estate", sa.String(length=60)),
        sa.Column("building", sa.String(length=20)),
        sa.Column("unit", sa.String(length=10)),
        sa.Column("room", sa.String(length=10)),
        sa.Column("lon", sa.Float()),
        sa.Column("lat", sa.Float()),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.UniqueConstraint("district_code", "key", name="district_address_key"),
    )
    for column in ("district_code", "street_code", "community_code", "grid_code", "key"):
        op.create_index(f"ix_standard_addresses_{column}", "standard_addresses", [column])
    op.create_table(
        "case_address_matches",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("address_id", sa.Integer(), sa.ForeignKey("standard_addresses.id")),
        sa.Column("score", sa.Float()),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("candidate_ids", sa.JSON(), nullable=False),
    )
    op.create_index("ix_case_address_matches_status", "case_address_matches", ["status"])


def downgrade() -> None:
    op.drop_table("case_address_matches")
    op.drop_table("standard_addresses")
    op.drop_table("address_registries")
