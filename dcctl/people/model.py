"""A tenant's staff as the CSV declares them: who, how to reach them, which of its groups."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,62}[a-z0-9]$")
COLUMNS = ("username", "full_name", "email", "groups")
GROUP_SEPARATOR = ";"


class StaffMember(BaseModel):
    """One CSV row; ``groups`` are the tenant's short group names (``admins``, not ``health-admins``)."""

    model_config = ConfigDict(frozen=True)

    username: str
    full_name: str
    email: str
    groups: tuple[str, ...]
    line: int  # where the row is in the file (the spreadsheet's row number)


class Roster(BaseModel):
    """Every staff member of one tenant, from one CSV file."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    file: str
    members: tuple[StaffMember, ...]

    def by_username(self) -> dict[str, StaffMember]:
        return {m.username: m for m in self.members}
