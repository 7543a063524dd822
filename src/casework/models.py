"""Every model, imported once so that Base.metadata is complete (Alembic, tests)."""

from casework.auth.models import LoginThrottle, Organization, User
from casework.core.db import Base
from casework.incidents.models import Incident

__all__ = ["Base", "Incident", "LoginThrottle", "Organization", "User"]
