"""Alembic environment of the console: its own tables plus the kit's."""

from shutterbook_console.storage.models import Base
from shutterbook_kit.migrations import run_env

run_env(Base.metadata)
