"""Browser forms of the tenancy pages: they parse and normalise input at the edge.

Business rules (uniqueness, the last owner, who may be invited) live in ``services``; a form
only shows the ``ValidationError`` a service raises next to the field it names. Templates
render each field with ``includes/field.html`` (label, input, its errors, help).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from foundation.phones import PhoneNumberField, read_phones_in, region_choices
from tenancy.models import TIME_ZONE_CHOICES, Membership, validate_time_zone
from tenancy.roles import Role


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ``ValidationError`` to the fields it names; errors about fields
    the form does not show become form-wide errors."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TIME_ZONE_CHOICES, validators=[validate_time_zone], **kwargs)


class InviteMemberForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class MemberActiveForm(forms.Form):
    active = forms.BooleanField(required=False)


class LocationForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = TimeZoneField(label="Time zone")
    address = forms.CharField(max_length=300, required=False)
    phone = PhoneNumberField(
        required=False,
        help_text="National numbers are read as numbers of the organisation's country.",
    )
    is_active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="Inactive locations take no calls."
    )

    def __init__(self, *args: Any, region: str, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        read_phones_in(self, region=region)
        if not editing:
            # New locations start active; the switch is only offered when editing.
            del self.fields["is_active"]


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)


class TeamMembersForm(forms.Form):
    """The team's members in ring order: tick a member to include them and number them;
    unnumbered members ring after the numbered ones, in the order listed."""

    def __init__(
        self,
        *args: Any,
        memberships: Iterable[Membership],
        current: list[Membership],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        positions = {membership.pk: index for index, membership in enumerate(current, 1)}
        self.memberships = list(memberships)
        self.rows: list[tuple[Membership, forms.BoundField, forms.BoundField]] = []
        for membership in self.memberships:
            include = f"include_{membership.pk}"
            position = f"position_{membership.pk}"
            self.fields[include] = forms.BooleanField(
                label=f"Include {membership.user.email}",
                required=False,
                initial=membership.pk in positions,
            )
            self.fields[position] = forms.IntegerField(
                label=f"Position of {membership.user.email}",
                required=False,
                min_value=1,
                max_value=999,
                initial=positions.get(membership.pk),
            )
            self.rows.append((membership, self[include], self[position]))

    def ordered_memberships(self) -> list[Membership]:
        """The ticked memberships in the order given; call after ``is_valid()``."""
        chosen = []
        for index, membership in enumerate(self.memberships):
            if self.cleaned_data.get(f"include_{membership.pk}"):
                position = self.cleaned_data.get(f"position_{membership.pk}")
                chosen.append((position is None, position or 0, index, membership))
        return [membership for *_, membership in sorted(chosen, key=lambda row: row[:3])]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=120, help_text="Who or what will use the key, e.g. “CRM sync”."
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.SUPERVISOR,
        help_text="The key may do what a member with this role may do.",
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = TimeZoneField(
        label="Time zone", help_text="Used where a location has no time zone of its own."
    )
    country = forms.ChoiceField(
        choices=region_choices, help_text="Reads national phone numbers; picks holidays."
    )
    sms_help_text = forms.CharField(
        label="SMS help text",
        max_length=320,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The answer to HELP or INFO texts (up to 320 characters).",
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form, speaking of the email address people actually sign in with
    (usernames are email addresses here)."""

    username = UsernameField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email and password do not match an account. Check both and try again."
        ),
    }
