from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import Role
from boxoffice.schemas.base import View


class OrganizationView(View):
    id: uuid.UUID
    name: str
    created_at: datetime


class MemberView(View):
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    active: bool
