"""Per-organisation Twilio credentials and settings, the organisation's numbers, and the
people who call or text them."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from foundation.crypto import EncryptedTextField
from foundation.phones import validate_e164
from tenancy.managers import TenantModel
from tenancy.models import validate_time_zone

ACCOUNT_SID_VALIDATOR = RegexValidator(r"^AC[0-9a-fA-F]{32}$", "A Twilio account SID: AC + 32 hex.")

# The legal calling window for outbound calls and texts (TCPA: 8 a.m. to 9 p.m. in the
# recipient's local time). An organisation may narrow it, never widen it.
LEGAL_WINDOW_START = time(8, 0)
LEGAL_WINDOW_END = time(21, 0)


class TelephonySettings(TenantModel):
    """Telephony settings of one organisation (one row per organisation, created on demand)."""

    short_abandon_seconds = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(120)],
        help_text="A caller who hangs up while waiting within this many seconds is a short "
        "abandon: counted apart and left out of abandonment and service level.",
    )
    dial_timeout_seconds = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="How long the default routing rings the location's forwarding number.",
    )
    calling_window_start = models.TimeField(
        default=LEGAL_WINDOW_START,
        help_text="Earliest local time (recipient's zone) for outbound calls and texts.",
    )
    calling_window_end = models.TimeField(
        default=LEGAL_WINDOW_END,
        help_text="Latest local time (recipient's zone) for outbound calls and texts.",
    )
    outbound_per_minute = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1)],
        help_text="Outbound calls and texts per minute across the organisation.",
    )
    sms_opt_in_reply = models.CharField(
        max_length=320,
        default="You are subscribed to texts again. Reply STOP to opt out.",
        help_text="Reply to START, YES or UNSTOP.",
    )
    sms_opt_out_reply = models.CharField(
        max_length=320,
        default="You are unsubscribed and will receive no more texts. Reply START to resubscribe.",
        help_text="The single confirmation sent after a revocation.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "telephony settings"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="telephonysettings_one_per_org"),
        ]

    def __str__(self) -> str:
        return f"Telephony settings of organisation {self.organization_id}"

    def clean(self) -> None:
        if not (
            LEGAL_WINDOW_START
            <= self.calling_window_start
            < self.calling_window_end
            <= LEGAL_WINDOW_END
        ):
            raise ValidationError(
                {
                    "calling_window_end": "The calling window must lie within 08:00-21:00 "
                    "and start before it ends."
                }
            )


class TwilioAccount(TenantModel):
    """The organisation's Twilio subaccount; the auth token is encrypted at rest."""

    account_sid = models.CharField(max_length=34, validators=[ACCOUNT_SID_VALIDATOR])
    auth_token = EncryptedTextField(help_text="Encrypted with FIELD_ENCRYPTION_KEYS.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="twilioaccount_one_per_org"),
            models.UniqueConstraint(
                fields=["organization", "account_sid"], name="twilioaccount_unique_sid"
            ),
        ]
        # Not a screen index: the webhook resolver finds the tenant by account SID before
        # any tenant is known (telephony_number_route in the migrations).
        indexes = [models.Index(fields=["account_sid"], name="twilioaccount_route")]

    def __str__(self) -> str:
        return self.account_sid


class PhoneNumber(TenantModel):
    """One of the organisation's Twilio numbers, answering for one location."""

    e164 = models.CharField(max_length=16, validators=[validate_e164])
    location = models.ForeignKey(
        "tenancy.Location", on_delete=models.PROTECT, related_name="phone_numbers"
    )
    source_label = models.CharField(
        max_length=80,
        default="Main line",
        help_text='Where callers found this number, e.g. "Main line" or "Google Ads".',
    )
    twilio_sid = models.CharField(max_length=34, blank=True, help_text="PN… of the number.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "e164"], name="phonenumber_unique_e164"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "location"], name="phonenumber_org_location"),
            # Not a screen index: the webhook resolver looks a number up before any tenant
            # is known (telephony_number_route in the migrations).
            models.Index(fields=["e164"], name="phonenumber_route"),
        ]

    def __str__(self) -> str:
        return f"{self.source_label} ({self.location_id})"


class NumberDirectoryEntry(models.Model):
    """Which organisation a (Twilio subaccount, number) pair belongs to, readable before any
    tenant is known: the one table the webhook resolver's SECURITY DEFINER function
    (``telephony_number_route``) reads. No auth token, location or label: those are read
    afterwards inside the tenant's context (telephony/directory.py).

    A coordinator directory (docs/scaling.md): on Citus it is neither distributed nor a
    reference table, so the definer function reads it on the coordinator without opening
    worker connections as its NOLOGIN owner. It has no foreign keys (a key to a reference
    table would make Citus convert it); row-level security lets the application write only
    its own tenant's rows. The services that change numbers and accounts rewrite the
    organisation's rows in the same transaction (telephony/services/accounts.py).
    """

    pk = models.CompositePrimaryKey("organization_id", "phone_number_id")
    organization_id = models.BigIntegerField()
    phone_number_id = models.BigIntegerField()
    account_sid = models.CharField(max_length=34)
    e164 = models.CharField(max_length=16)
    # The number's and its account's state together: only an active pair routes.
    is_active = models.BooleanField()

    class Meta:
        db_table = "telephony_numberdirectory"
        indexes = [
            models.Index(fields=["account_sid", "e164"], name="numberdirectory_route"),
            models.Index(fields=["account_sid", "phone_number_id"], name="numberdirectory_id"),
        ]

    def __str__(self) -> str:
        return f"{self.account_sid} {self.e164} → organisation {self.organization_id}"


class Contact(TenantModel):
    """A caller or texter, per organisation and number."""

    # The tenant key, without the single-column index TenantModel would add: the unique
    # constraint and the indexes below all start with it, and on this hot table every
    # extra index is paid on each webhook.
    organization = models.ForeignKey(
        "tenancy.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
    )
    e164 = models.CharField(max_length=16, validators=[validate_e164])
    name = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="The person's own zone when known; outbound calling hours use it first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "e164"], name="contact_unique_e164"),
        ]

    def __str__(self) -> str:
        return self.name or f"Contact {self.pk}"
