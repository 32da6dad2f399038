"""The first schema: projects, parties and runs.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "projects",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("schema", sa.JSON, nullable=False),
        sa.Column("result_type", sa.String(32), nullable=False),
        sa.Column("number_parties", sa.Integer, nullable=False),
        sa.Column("uses_blocking", sa.Boolean, nullable=False),
        sa.Column("result_token_hash", sa.String(64), nullable=False),
        sa.Column("time_added", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("update_token_hash", sa.String(64), nullable=False),
        sa.Column("receipt_token_hash", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=True),
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("has_blocks", sa.Boolean, nullable=False),
        sa.Column("time_uploaded", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("project_id", "index"),
    )
    op.create_index("ix_parties_project_id", "parties", ["project_id"])
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("progress_absolute", sa.BigInteger, nullable=False),
        sa.Column("progress_relative", sa.Float, nullable=False),
        sa.Column("progress_description", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("quality", sa.JSON, nullable=True),
        sa.Column("time_added", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_completed", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_runs_project_id", "runs", ["project_id"])
    op.create_index("ix_runs_state", "runs", ["state"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("runs")
    op.drop_table("parties")
    op.drop_table("projects")
