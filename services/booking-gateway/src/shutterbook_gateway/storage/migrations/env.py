"""Alembic environment of the booking-gateway service: its own tables plus the kit's."""

from shutterbook_gateway.storage.models import Base
from shutterbook_kit.migrations import run_env

run_env(Base.metadata)
