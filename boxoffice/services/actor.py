"""Who is calling a service: every use case takes an ``Actor`` and checks its role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import Action, require
from boxoffice.errors import IdentityError
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, Member

CURRENT_MEMBER_KEY = "current_member"


@dataclass(frozen=True)
class Actor:
    member_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role
    email: str

    def require(self, action: Action) -> None:
        require(self.role, action)

    @classmethod
    def of(cls, member: Member) -> Actor:
        return cls(member.id, member.organization_id, member.role, member.email)


def _member_by_email(session: Session, email: str) -> Member:
    found = session.scalars(select(Member).where(Member.email == email.strip().lower())).all()
    if not found:
        raise IdentityError(f"No member with the e-mail {email} is known in this database.")
    if len(found) > 1:
        raise IdentityError(
            f"{email} is a member of several organizations in this database; "
            "say which one with its member id."
        )
    return found[0]


def resolve_actor(store: Store, email: str | None) -> Actor:
    """The member a command acts as: the one named, else the one chosen with ``member use``.

    With neither, a database holding exactly one member acts as that member,
    which is what a fresh single-user installation expects.
    """
    with store.read() as session:
        if email:
            member = _member_by_email(session, email)
        else:
            setting = session.get(LocalSetting, CURRENT_MEMBER_KEY)
            if setting is not None:
                member_obj = session.get(Member, uuid.UUID(setting.value["member_id"]))
                if member_obj is None:
                    raise IdentityError("The member chosen for this database no longer exists.")
                member = member_obj
            else:
                members = session.scalars(select(Member).limit(2)).all()
                if not members:
                    raise IdentityError(
                        "This database has no members yet. Create an organization first: "
                        "boxoffice org create NAME --owner EMAIL"
                    )
                if len(members) > 1:
                    raise IdentityError(
                        "Say who you are: add --as EMAIL, or choose once with "
                        "boxoffice member use EMAIL."
                    )
                member = members[0]
        if not member.active:
            raise IdentityError(f"The member {member.email} has been deactivated.")
        return Actor.of(member)
