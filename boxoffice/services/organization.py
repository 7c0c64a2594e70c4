"""Organizations and their members."""

from __future__ import annotations

import uuid
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    MemberId,
    New,
    NotARef,
)
from boxoffice.domain.validation import validate_email, validate_name
from boxoffice.errors import DuplicateError, NotFoundError, ValidationError
from boxoffice.schemas.member import MemberView, OrganizationView
from boxoffice.services import outbox, refs
from boxoffice.services.actor import CURRENT_MEMBER_KEY, Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, Member, Organization


def _email(value: str) -> str:
    return validate_email("email", value)


def create_organization(
    store: Store, name: str, owner_email: str, owner_name: str | None = None
) -> tuple[OrganizationView, MemberView]:
    """Bootstrap: an organization and its owner, the one write that needs no actor."""
    name = validate_name("organization name", name)
    email = _email(owner_email)
    with store.write() as session:
        if session.scalar(select(Organization).where(refs.same_name(Organization.name, name))):
            raise DuplicateError("organization", "name", name)
        org = Organization(name=name)
        session.add(org)
        session.flush()
        owner = Member(
            organization_id=org.id,
            email=email,
            display_name=(owner_name or email.split("@")[0]).strip(),
            role=Role.OWNER,
        )
        session.add(owner)
        session.flush()
        actor = Actor.of(owner)
        outbox.record(session, actor, "organization.create", org.id,
                      {"id": org.id, "name": name, "owner_id": owner.id, "owner_email": email})
        return OrganizationView.model_validate(org), MemberView.model_validate(owner)


def add_member(
    store: Store, actor: Actor, email: str, role: Role, display_name: str | None = None,
    *, member_id: uuid.UUID | None = None,
) -> MemberView:
    actor.require(Action.MANAGE_MEMBERS)
    email = _email(email)
    if role is Role.OWNER:
        raise ValidationError.single("role", "An organization has one owner; add an admin instead.")
    with store.write() as session:
        exists = session.scalar(
            select(Member).where(
                Member.organization_id == actor.organization_id, Member.email == email
            )
        )
        if exists is not None and not exists.active:
            raise ValidationError.single(
                "email", f"{email} was removed from this organization; give them a role to bring them back "
                         f"(member role {email} --role ...).")
        if exists is not None:
            raise DuplicateError("member", "e-mail", email)
        member = Member(
            id=member_id or new_id(),
            organization_id=actor.organization_id,
            email=email,
            display_name=(display_name or email.split("@")[0]).strip(),
            role=role,
        )
        session.add(member)
        session.flush()
        outbox.record(session, actor, "member.create", member.id,
                      {"id": member.id, "email": email, "role": role,
                       "display_name": member.display_name})
        return MemberView.model_validate(member)


def _member_to_change(session: Session, actor: Actor, email: str) -> Member:
    """The member named, in the actor's organization, that the actor may change (never the owner)."""
    member = session.scalar(
        select(Member).where(Member.organization_id == actor.organization_id, Member.email == _email(email))
    )
    if member is None:
        raise NotFoundError("member", email)
    if member.role is Role.OWNER:
        raise ValidationError.single("email", "The owner's role cannot be changed and the owner cannot be "
                                              "removed: an organization always has its owner.")
    return member


def set_role(store: Store, actor: Actor, email: str, role: Role) -> MemberView:
    """Give a member another role (or a removed member one again, which brings them back).

    Their stations hold what the new role may see from their next pull.
    """
    actor.require(Action.MANAGE_MEMBERS)
    if role is Role.OWNER:
        raise ValidationError.single("role", "An organization has one owner; make them an admin instead.")
    with store.write() as session:
        member = _member_to_change(session, actor, email)
        if member.role is not role or not member.active:
            # A removed member given a role is back: the way to undo ``remove_member``.
            member.role, member.active = role, True
            outbox.record(session, actor, "member.role", member.id, {"id": member.id, "role": role})
        return MemberView.model_validate(member)


def remove_member(store: Store, actor: Actor, email: str) -> MemberView:
    """Take a member out of the organization: their sign-ins stop, and their stations let go of its data.

    The row stays (inactive), because series, bands and check-ins name who
    made them; ``add`` with the same e-mail is refused while it is there.
    """
    actor.require(Action.MANAGE_MEMBERS)
    with store.write() as session:
        member = _member_to_change(session, actor, email)
        if member.id == actor.member_id:
            raise ValidationError.single("email", "You cannot remove yourself; ask the owner.")
        if member.active:
            member.active = False
            outbox.record(session, actor, "member.remove", member.id, {"id": member.id})
        return MemberView.model_validate(member)


def list_members(store: Store, actor: Actor) -> list[MemberView]:
    with store.read() as session:
        rows = session.scalars(
            select(Member)
            .where(Member.organization_id == actor.organization_id)
            .order_by(Member.email)
        ).all()
        return [MemberView.model_validate(m) for m in rows]


def use_member(store: Store, email: str) -> MemberView:
    """Remember which member this installation acts as when ``--as`` is not given."""
    email = _email(email)
    with store.write() as session:
        found = session.scalars(select(Member).where(Member.email == email)).all()
        if len(found) != 1:
            raise ValidationError.single(
                "email", f"No single member with the e-mail {email} is known in this database."
            )
        member = found[0]
        setting = session.get(LocalSetting, CURRENT_MEMBER_KEY)
        value = {"member_id": str(member.id)}
        if setting is None:
            session.add(LocalSetting(key=CURRENT_MEMBER_KEY, value=value))
        else:
            setting.value = value
        return MemberView.model_validate(member)


# -- what this module's changes carry to the server (its outbox contracts) --------

class OrganizationCreateChange(outbox.Payload):
    id: Annotated[uuid.UUID, NotARef("only the pusher's own organization is accepted")]


class MemberCreateChange(outbox.Payload):
    id: New
    email: str
    role: Role
    display_name: str | None = None


class MemberRefChange(outbox.Payload):
    id: MemberId


class MemberRoleChange(MemberRefChange):
    role: Role


outbox.declare("organization.create", OrganizationCreateChange, NEW)
outbox.declare("member.create", MemberCreateChange, NEW)
outbox.declare("member.role", MemberRoleChange, NotARef("the member is named in the payload"))
outbox.declare("member.remove", MemberRefChange, NotARef("the member is named in the payload"))
