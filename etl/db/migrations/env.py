"""Alembic environment: runs on the engine the CLI built (see etl.db.engine.upgrade)."""

from alembic import context

from etl.db.models import Base, declared_here

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=declared_here,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
