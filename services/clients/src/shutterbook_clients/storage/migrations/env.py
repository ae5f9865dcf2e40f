"""Alembic environment of the clients service: its own tables plus the kit's."""

from shutterbook_clients.storage.models import Base
from shutterbook_kit.migrations import run_env

run_env(Base.metadata)
