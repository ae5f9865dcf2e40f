"""Alembic environment of the notifications service: its own tables plus the kit's."""

from shutterbook_kit.migrations import run_env
from shutterbook_notifications.storage.models import Base

run_env(Base.metadata)
