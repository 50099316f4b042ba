"""Intake data: scripts and their versions, intakes worked on calls, conflict checks, parties
and matters, leads and appointments, cases with their escalation path, handoffs, QA, and
the log of every read of a health answer.

Answers are split by sensitivity when stored: ordinary answers in ``answers`` (JSON, shown
to every role that sees the intake), personal and health answers encrypted at rest in
``personal_answers`` and ``health_answers`` (foundation/crypto.py), decrypted only by the
services that check the reader's capability and, for health answers, record the read.
"""

from __future__ import annotations

import pghistory
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper

from foundation.crypto import EncryptedTextField
from tenancy.managers import TenantModel
from tenancy.models import Location, Membership


class ScriptKind(models.TextChoices):
    LEGAL = "legal", "Legal intake"
    HEALTHCARE = "healthcare", "Healthcare access"
    HOME_SERVICES = "home_services", "Home services"
    GENERAL = "general", "General message"
    CUSTOM = "custom", "Custom"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Script(TenantModel):
    """A named script; what agents work is its approved version (``ScriptVersion``)."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=ScriptKind.choices, default=ScriptKind.CUSTOM)
    description = models.CharField(max_length=300, blank=True)
    # Empty means every location of the organisation.
    locations = models.ManyToManyField(Location, through="ScriptLocation", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Upper("name"), name="intake_script_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScriptLocation(TenantModel):
    script = models.ForeignKey(Script, on_delete=models.CASCADE)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "script", "location"], name="intake_scriptlocation_unique"
            ),
        ]


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


# Approval and retirement are recorded with who did them; draft edits reach the trail as
# the version they approve.
@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), exclude=["definition", "updated_at"]
)
class ScriptVersion(TenantModel):
    """One version of a script: edited while a draft, frozen once approved (the services
    refuse to change an approved definition), retired when a newer one is approved. A
    script has at most one draft and at most one approved version at a time."""

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    definition = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by_label = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "script", "number"], name="intake_version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["organization", "script"],
                condition=models.Q(status="draft"),
                name="intake_version_one_draft",
            ),
            models.UniqueConstraint(
                fields=["organization", "script"],
                condition=models.Q(status="approved"),
                name="intake_version_one_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.script} v{self.number}"


class Channel(models.TextChoices):
    CALL = "call", "Phone call"
    WALK_IN = "walk_in", "Walk-in"
    EMAIL = "email", "Email"
    WEB_FORM = "web_form", "Web form"
    CALLBACK = "callback", "Callback"


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "In progress"
    COMPLETED = "completed", "Completed"


class Disposition(models.TextChoices):
    NEW_LEAD = "new_lead", "New lead"
    APPOINTMENT_BOOKED = "appointment_booked", "Appointment booked"
    EXISTING_CLIENT = "existing_client", "Existing client"
    NOT_A_FIT = "not_a_fit", "Not a fit"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    SPAM = "spam", "Spam"
    COMPLAINT = "complaint", "Complaint"
    BILLING = "billing", "Billing"
    GENERAL_MESSAGE = "general_message", "General message"


# Dispositions that make a lead (and so need a next step).
LEAD_DISPOSITIONS = frozenset({Disposition.NEW_LEAD, Disposition.APPOINTMENT_BOOKED})
# Dispositions that open a case for reactive work.
CASE_DISPOSITIONS = frozenset({Disposition.COMPLAINT, Disposition.BILLING})


class Intake(TenantModel):
    """One capture: a draft saved on every change while the agent works, then completed
    with a disposition. The script version is the exact one the agent saw."""

    script_version = models.ForeignKey(ScriptVersion, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.CALL)
    # The call it was opened from (telephony's Call), by id: intake reads calls through
    # telephony's selectors and never joins its tables.
    call_id = models.BigIntegerField(null=True, blank=True)
    caller_phone = models.CharField(max_length=16, blank=True)
    caller_name = models.CharField(max_length=200, blank=True)
    agent = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=IntakeStatus.choices, default=IntakeStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    personal_answers = EncryptedTextField(blank=True)
    health_answers = EncryptedTextField(blank=True)
    # What the agent typed that did not validate yet, kept so that a reload shows it.
    raw_answers = EncryptedTextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    urgent = models.BooleanField(default=False)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["organization", "agent", "status"], name="intake_by_agent"),
            models.Index(fields=["organization", "call_id"], name="intake_by_call"),
            models.Index(fields=["organization", "caller_phone"], name="intake_by_phone"),
            models.Index(
                fields=["organization", "status", "completed_at"], name="intake_by_completion"
            ),
        ]


class Matter(TenantModel):
    """A matter of the organisation (legal): what conflicts are checked against."""

    name = models.CharField(max_length=300)
    matter_type = models.CharField(max_length=60, blank=True)
    external_ref = models.CharField(max_length=100, blank=True)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="intake_matter_unique_ref",
            ),
        ]
        indexes = [
            GinIndex(
                OpClass("organization_id", name="int8_ops"),
                OpClass("name", name="gin_trgm_ops"),
                name="intake_matter_name_trgm",
            ),
        ]


class PartyRole(models.TextChoices):
    CLIENT = "client", "Client"
    ADVERSE = "adverse", "Adverse party"
    RELATED = "related", "Related party"
    PROSPECT = "prospect", "Prospective client"


class Party(TenantModel):
    """A person or company on the organisation's books, searched by trigram similarity
    (``pg_trgm``, which ignores case) in the conflict check; the index leads with the
    organisation, and the search runs in a definer function (intake/services/conflicts.py)."""

    name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=PartyRole.choices, default=PartyRole.RELATED)
    matter = models.ForeignKey(
        Matter, on_delete=models.SET_NULL, null=True, blank=True, related_name="parties"
    )
    external_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="intake_party_unique_ref",
            ),
        ]
        indexes = [
            GinIndex(
                OpClass("organization_id", name="int8_ops"),
                OpClass("name", name="gin_trgm_ops"),
                name="intake_party_name_trgm",
            ),
            # The conflict check finds similar names in PartyName, then their parties by
            # exact name here (equality is LEAKPROOF: row-level security lets it in).
            models.Index(fields=["organization", "name"], name="intake_party_by_name"),
        ]


class ConflictCheck(TenantModel):
    """A conflict pre-check run during an intake: advisory, recorded with what it found."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="conflict_checks")
    names = models.JSONField()
    hits = models.JSONField()
    checked_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_at"]


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    BOOKED = "booked", "Consultation or appointment booked"
    RETAINED = "retained", "Retained"
    LOST = "lost", "Lost"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Lead(TenantModel):
    intake = models.ForeignKey(
        Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    next_step = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lost_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["organization", "status", "created_at"], name="intake_lead_by_status"
            ),
        ]


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    RESCHEDULE_REQUESTED = "reschedule", "Asked to reschedule"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Appointment(TenantModel):
    """A booked time at a location with a contact (recovery's reminders confirm it)."""

    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=16)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="intake_appt_by_start"),
        ]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EscalationTier(TenantModel):
    """One step of the organisation's escalation path (frontline → specialist →
    supervisor), with what that tier may decide."""

    level = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    may_decide = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "level"], name="intake_tier_unique_level"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CaseCategory(models.TextChoices):
    COMPLAINT = "complaint", "Complaint"
    BILLING = "billing", "Billing"
    SERVICE_FAILURE = "service_failure", "Service failure"
    QUESTION = "question", "Question"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"


class Case(TenantModel):
    """Reactive work (a complaint, a billing question, a service failure) with an owner, a
    tier on the escalation path and a resolution target. Its history is ``CaseEvent``."""

    intake = models.ForeignKey(
        Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=16, blank=True)
    category = models.CharField(max_length=16, choices=CaseCategory.choices)
    priority = models.CharField(
        max_length=8, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    owner = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tier = models.ForeignKey(
        EscalationTier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    resolve_by = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.CharField(max_length=60, blank=True)
    resolution = models.CharField(max_length=1000, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "resolve_by"], name="intake_case_queue"),
            models.Index(fields=["organization", "contact_phone"], name="intake_case_by_phone"),
        ]


class CaseEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    ASSIGNED = "assigned", "Assigned"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    NOTE = "note", "Note"


class CaseEvent(TenantModel):
    """What happened to a case: who, why and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    from_tier = models.CharField(max_length=60, blank=True)
    to_tier = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class RecipientKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), exclude=["secret"]
)
class HandoffRecipient(TenantModel):
    """Who hears of a completed intake: an email address or the organisation's own system
    (a signed webhook), for one location or all, seeing what ``role`` may see."""

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=RecipientKind.choices)
    address = models.CharField(max_length=500, help_text="Email address or https URL.")
    role = models.CharField(max_length=20)
    secret = EncryptedTextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


class HandoffState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    FAILED = "failed", "Failed"


class Handoff(TenantModel):
    """One delivery of a completed intake to one recipient, sent as scheduled work. The
    recipient acknowledges through a signed link (``django.core.signing``) naming the
    organisation and this row, so no token is stored."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="handoffs")
    recipient = models.ForeignKey(
        HandoffRecipient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=RecipientKind.choices)
    address = models.CharField(max_length=500)
    state = models.CharField(
        max_length=12, choices=HandoffState.choices, default=HandoffState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["organization", "state", "created_at"], name="intake_handoff_state"
            ),
        ]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Scorecard(TenantModel):
    """QA questions with weights; a critical question failed zeroes the score."""

    name = models.CharField(max_length=120)
    # [{"id": "greeting", "text": "…", "weight": 10, "critical": false}, …]
    questions = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Upper("name"), name="intake_scorecard_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QAReview(TenantModel):
    """A QA score of one completed intake or case, attributed to the agent who did it."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews")
    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agent = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Denormalised for the accuracy report (by script and location) without joins.
    script = models.ForeignKey(
        Script, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # {"<question id>": true/false}
    answers = models.JSONField()
    score = models.DecimalField(max_digits=5, decimal_places=2)
    critical_failed = models.BooleanField(default=False)
    comment = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(intake__isnull=False) ^ models.Q(case__isnull=False),
                name="intake_review_one_subject",
            ),
            models.UniqueConstraint(
                fields=["organization", "scorecard", "intake"],
                condition=models.Q(intake__isnull=False),
                name="intake_review_once_per_intake",
            ),
            models.UniqueConstraint(
                fields=["organization", "scorecard", "case"],
                condition=models.Q(case__isnull=False),
                name="intake_review_once_per_case",
            ),
        ]


class SensitiveRead(TenantModel):
    """Every read of an intake's health answers: who, which intake, which fields, when.

    Written in the same transaction as the read is served; owners review the log. Rows are
    never updated or deleted by the application."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="+")
    reader = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reader_label = models.CharField(max_length=200)
    field_ids = models.JSONField()
    via = models.CharField(max_length=10)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["organization", "at"], name="intake_sensitive_read_at")]


class PartyName(TenantModel):
    """Each distinct name of the organisation's parties, once: what the conflict check's
    trigram search reads (intake/services/conflicts.py), since a large book repeats the same
    names many times. Kept in step by the services that write parties
    (intake/services/parties.py), in the same transaction; a name whose parties were renamed
    may stay (the search joins back to the parties by exact name, so it finds nothing)."""

    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="intake_partyname_unique_name"
            ),
        ]
        indexes = [
            GinIndex(
                OpClass("organization_id", name="int8_ops"),
                OpClass("name", name="gin_trgm_ops"),
                name="intake_partyname_name_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.name
