from __future__ import annotations

import sys

import click

from boxoffice.domain.enums import Role
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.services import auth, organization


@click.group()
def org() -> None:
    """Organizations."""


@org.command("create")
@click.argument("name")
@click.option("--owner", "owner_email", required=True, help="The owner's e-mail.")
@click.option("--owner-name", help="The owner's display name.")
@pass_app
def org_create(app: App, name: str, owner_email: str, owner_name: str | None) -> None:
    """Create an organization and its owner."""
    org_view, owner = organization.create_organization(app.store, name, owner_email, owner_name)
    # Whoever sets up an organization here goes on working as its owner.
    organization.use_member(app.store, owner.email)
    app.emit(
        {"organization": org_view, "owner": owner},
        f"Created organization {org_view.name} ({org_view.id}); commands now act as its owner "
        f"{owner.email} (change with: boxoffice member use EMAIL).",
    )


@click.group()
def member() -> None:
    """Members of your organization and their roles."""


_ROLES = [r.value for r in Role if r is not Role.OWNER]


@member.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(_ROLES), required=True)
@click.option("--name", "display_name", help="Display name.")
@pass_app
def member_add(app: App, email: str, role: str, display_name: str | None) -> None:
    """Add a member with a role."""
    view = organization.add_member(app.store, app.actor, email, Role(role), display_name)
    app.emit(view, f"Added {view.email} as {view.role.value}.")


@member.command("role")
@click.argument("email")
@click.option("--role", type=click.Choice(_ROLES), required=True)
@pass_app
def member_role(app: App, email: str, role: str) -> None:
    """Give a member another role (their stations keep only what it may see, from their next sync).

    A removed member given a role is a member again.
    """
    view = organization.set_role(app.store, app.actor, email, Role(role))
    app.emit(view, f"{view.email} is now {view.role.value}.")


@member.command("remove")
@click.argument("email")
@pass_app
def member_remove(app: App, email: str) -> None:
    """Remove a member: their sign-ins stop and their stations remove the organization's data."""
    view = organization.remove_member(app.store, app.actor, email)
    app.emit(view, f"Removed {view.email}; their sign-ins no longer work.")


@member.command("list")
@pass_app
def member_list(app: App) -> None:
    """List the members of your organization."""
    rows = organization.list_members(app.store, app.actor)
    app.emit(rows, "\n".join(f"{m.email:<32} {m.role.value:<8} {m.display_name}"
                              + ("" if m.active else "  (removed)") for m in rows))


@member.command("use")
@click.argument("email")
@pass_app
def member_use(app: App, email: str) -> None:
    """Act as this member from now on when --as is not given."""
    view = organization.use_member(app.store, email)
    app.emit(view, f"Commands now act as {view.email} ({view.role.value}).")


@member.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@pass_app
def member_passwd(app: App, email: str, password_stdin: bool) -> None:
    """Set a member's password (your own, or anyone's as the owner)."""
    password: str
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = str(click.prompt("New password", hide_input=True, confirmation_prompt=True))
    view = auth.set_password(app.store, app.actor, email, password)
    app.emit(view, f"Password of {view.email} set; their open sessions were closed.")


@member.command("device-token")
@click.argument("email")
@click.option("--label", default="", help="Which device this is, e.g. 'Gate 3 handheld'.")
@pass_app
def member_device_token(app: App, email: str, label: str) -> None:
    """Issue a bearer token for a gate or station member (shown once)."""
    token = auth.issue_device_token(app.store, app.actor, email, label)
    app.emit({"email": email, "token": token}, token)
