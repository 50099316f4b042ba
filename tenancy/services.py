"""Everything that writes tenancy data. Each function takes the acting tenant explicitly."""

from __future__ import annotations

import secrets

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenancy.audit import audited
from tenancy.context import tenant_context
from tenancy.models import ApiKey, Location, Membership, Organization, Team, TeamMember
from tenancy.resolution import API_KEY_PREFIX, Tenant, digest_api_key
from tenancy.roles import Role

User = get_user_model()


def _per_organization_unique_fields(model: type[models.Model]) -> dict[str, str]:
    """``{field: constraint name}`` for each unconditional ``(organization, field)`` unique
    constraint of ``model``."""
    fields: dict[str, str] = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
            others = [name for name in constraint.fields if name != "organization"]
            if len(constraint.fields) == 2 and len(others) == 1:
                fields[others[0]] = constraint.name
    return fields


def _unique_error(instance: models.Model, field: str) -> ValidationError:
    label = getattr(instance._meta.get_field(field), "verbose_name", field)
    return ValidationError(
        "A %(model)s with this %(field)s already exists.",
        code="unique",
        params={"model": instance._meta.verbose_name, "field": label},
    )


def _validate(instance: models.Model) -> None:
    """``full_clean``, reporting a per-organisation uniqueness clash on the field a person
    typed: the organisation is implied, so Django's "… with this Organization and Name
    already exists", as a form-wide error, would only confuse."""
    unique_fields = _per_organization_unique_fields(type(instance))
    errors: dict[str, list[ValidationError]] = {}
    try:
        instance.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        instance.validate_constraints(exclude=set(unique_fields))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for field in unique_fields:
        if field in errors:
            continue
        # The default manager is scoped to the organisation in context.
        clashes = type(instance)._default_manager.filter(**{field: getattr(instance, field)})
        if clashes.exclude(pk=instance.pk).exists():
            errors[field] = [_unique_error(instance, field)]
    if errors:
        raise ValidationError(errors)


def _save(instance: models.Model, **kwargs: object) -> None:
    """Save, turning a per-organisation uniqueness violation that slipped past ``_validate``
    (two submissions of the same form at once) into the same field error, not a 500."""
    by_constraint = {
        name: field for field, name in _per_organization_unique_fields(type(instance)).items()
    }
    try:
        with transaction.atomic():
            instance.save(**kwargs)  # type: ignore[arg-type]
    except IntegrityError as error:
        diag = getattr(error.__cause__, "diag", None)
        field = by_constraint.get(getattr(diag, "constraint_name", None) or "")
        if field is None:
            raise
        raise ValidationError({field: [_unique_error(instance, field)]}) from error


def organization_create(
    *, name: str, slug: str, owner: AbstractBaseUser, time_zone: str = "UTC", country: str = "US"
) -> Organization:
    """Create an organisation with ``owner`` as its first owner."""
    organization = Organization(name=name, slug=slug, time_zone=time_zone, country=country)
    organization.full_clean()
    with transaction.atomic(), audited(None):
        organization.save()
        with tenant_context(organization):
            # The organisation's events are its own (row-level security on pgh_obj_id).
            pghistory.create_event(organization, label="insert")
            Membership.objects.create(user=owner, role=Role.OWNER)
    return organization


def organization_update(*, actor: Tenant, **fields: object) -> Organization:
    organization = actor.organization
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.full_clean()
    # In the organisation's own tenant whoever calls: its events are its own (row-level
    # security on the event table).
    with tenant_context(organization), transaction.atomic(), audited(actor):
        organization.save(update_fields=list(fields))
        pghistory.create_event(organization, label="update")
    return organization


def location_create(
    *, actor: Tenant, name: str, time_zone: str, address: str = "", phone: str = ""
) -> Location:
    location = Location(
        organization=actor.organization,
        name=name,
        time_zone=time_zone,
        address=address,
        phone=phone,
    )
    _validate(location)
    with audited(actor):
        _save(location)
    return location


def location_update(*, actor: Tenant, location: Location, **fields: object) -> Location:
    for name, value in fields.items():
        setattr(location, name, value)
    _validate(location)
    with audited(actor):
        _save(location, update_fields=list(fields))
    return location


def _send_invitation(
    *, user: AbstractBaseUser, organization: Organization, invited_by: str, new_account: bool
) -> None:
    """New people get a link to choose their password; people who already have an account
    (in another organisation) are told where to find the new one."""
    if new_account:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)  # type: ignore[arg-type]
        link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
            "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
        )
        next_step = f"Choose your password here: {link}\n"
    else:
        link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
            "org-home", kwargs={"org_slug": organization.slug}
        )
        next_step = f"Sign in with your existing password and open it here: {link}\n"
    send_mail(
        subject=f"You have been invited to {organization.name}",
        message=(
            f"{invited_by} invited you to {organization.name} on the coverage platform.\n\n"
            + next_step
        ),
        from_email=None,
        recipient_list=[user.email],  # type: ignore[attr-defined]
    )


def member_invite(*, actor: Tenant, email: str, role: str) -> Membership:
    """Add the person with ``email`` to the organisation and email them the way in.

    Inviting a current member again is a field error, not a duplicate; a deactivated member
    is pointed to reactivation, which keeps their history."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    existing = Membership.objects.filter(user=user).first() if user is not None else None
    if existing is not None:
        if not existing.is_active:
            raise ValidationError(
                {"email": "This person was deactivated: reactivate them in the member list."}
            )
        raise ValidationError({"email": "This person is already a member of the organisation."})
    with transaction.atomic(), audited(actor):
        new_account = user is None
        if user is None:
            user = User.objects.create_user(username=email, email=email)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        membership = Membership.objects.create(user=user, role=role)
        invited_by = (
            actor.membership.user.get_username() if actor.membership else "An administrator"
        )
        organization = actor.organization
        invited = user
        transaction.on_commit(
            lambda: _send_invitation(
                user=invited,
                organization=organization,
                invited_by=invited_by,
                new_account=new_account,
            )
        )
    return membership


def _ensure_an_owner_remains(membership: Membership, *, new_role: str | None, active: bool) -> None:
    if membership.role != Role.OWNER or (new_role == Role.OWNER and active):
        return
    # Locking every owner row, in one order, serialises two owners demoting each other at
    # the same moment: the second sees the first's change and is refused.
    owners = (
        Membership.objects.select_for_update()
        .filter(role=Role.OWNER, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not [pk for pk in owners if pk != membership.pk]:
        raise ValidationError({"role": "An organisation needs at least one active owner."})


def member_change_role(*, actor: Tenant, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    with transaction.atomic(), audited(actor):
        _ensure_an_owner_remains(membership, new_role=role, active=membership.is_active)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_set_active(*, actor: Tenant, membership: Membership, active: bool) -> Membership:
    if not active and actor.membership is not None and actor.membership.pk == membership.pk:
        raise ValidationError({"is_active": "You cannot deactivate yourself."})
    with transaction.atomic(), audited(actor):
        if not active:
            _ensure_an_owner_remains(membership, new_role=membership.role, active=False)
        membership.is_active = active
        membership.save(update_fields=["is_active"])
    return membership


def team_create(*, actor: Tenant, name: str, description: str = "") -> Team:
    team = Team(organization=actor.organization, name=name, description=description)
    _validate(team)
    with audited(actor):
        _save(team)
    return team


def team_update(*, actor: Tenant, team: Team, **fields: object) -> Team:
    for name, value in fields.items():
        setattr(team, name, value)
    _validate(team)
    with audited(actor):
        _save(team, update_fields=list(fields))
    return team


def team_set_members(*, actor: Tenant, team: Team, memberships: list[Membership]) -> Team:
    """Replace the team's members, keeping the given order (routing rings in that order).

    Saving the same list again changes nothing, so the audit trail shows real changes only."""
    current = list(
        TeamMember.objects.filter(team=team)
        .order_by("position", "id")
        .values_list("membership_id", flat=True)
    )
    if current == [m.pk for m in memberships]:
        return team
    with transaction.atomic(), audited(actor):
        TeamMember.objects.filter(team=team).delete()
        TeamMember.objects.bulk_create(
            TeamMember(organization=actor.organization, team=team, membership=m, position=i)
            for i, m in enumerate(memberships)
        )
    return team


def api_key_create(*, actor: Tenant, name: str, role: str = Role.SUPERVISOR) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and never shown
    again."""
    raw_key = f"{API_KEY_PREFIX}_{actor.organization.pk}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        organization=actor.organization,
        name=name,
        role=role,
        prefix=raw_key[: len(API_KEY_PREFIX) + len(str(actor.organization.pk)) + 6],
        digest=digest_api_key(raw_key),
        created_by_id=actor.membership.user_id if actor.membership else None,
    )
    api_key.full_clean()
    with audited(actor):
        api_key.save()
    return api_key, raw_key


def api_key_revoke(*, actor: Tenant, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        with audited(actor):
            api_key.save(update_fields=["revoked_at"])
    return api_key


def team_delete(*, actor: Tenant, team: Team) -> None:
    """Delete the team and its member list; the members themselves stay."""
    with transaction.atomic(), audited(actor):
        team.delete()
