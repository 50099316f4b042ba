"""Cases: opening, reopening instead of duplicating, escalation along the path, resolving
and the path's setup. Each test names the regression it catches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from intake.models import Case, CaseEvent, CaseEventKind, CaseStatus, EscalationTier
from intake.services import cases as services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
PHONE = "+12125550111"


def _open(world: OrgWorld, **fields: object) -> Case:
    fields.setdefault("subject", "Charged twice")
    fields.setdefault("category", "billing")
    fields.setdefault("contact_phone", PHONE)
    return services.open_case(actor=world.tenant(Role.AGENT), **fields)  # type: ignore[arg-type]


def test_a_new_case_starts_at_the_first_tier_due_by_its_priority_target(org_a: OrgWorld):
    # Catches a case without a tier or with the wrong resolution target.
    with time_machine.travel(NOON, tick=False), tenant_context(org_a.organization):
        case = _open(org_a, priority="urgent")
        assert [t.name for t in EscalationTier.objects.order_by("level")] == [
            "Frontline",
            "Specialist",
            "Supervisor",
        ]
        assert case.tier is not None and case.tier.level == 1
        assert case.status == CaseStatus.OPEN
        assert case.resolve_by == NOON + timedelta(hours=4)
        low = _open(org_a, priority="low", contact_phone="+12125550112")
        assert low.resolve_by == NOON + timedelta(days=7)
        event = CaseEvent.objects.get(case=case)
        assert event.kind == CaseEventKind.OPENED
        assert event.actor == org_a.members[Role.AGENT]


def test_a_caller_back_within_the_window_reopens_their_resolved_case(org_a: OrgWorld):
    # Catches a second case opened for the same caller and the same problem.
    with tenant_context(org_a.organization):
        first = _open(org_a)
        services.resolve(
            actor=org_a.tenant(), case=first, root_cause="Billing error", resolution="Refunded"
        )
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(days=29)),
        tenant_context(org_a.organization),
    ):
        again = _open(org_a, subject="Charged twice again")
        assert again.pk == first.pk
        assert Case.objects.count() == 1
        again.refresh_from_db()
        assert again.status == CaseStatus.REOPENED
        assert again.reopened_count == 1
        assert again.resolved_at is None
        reopened = CaseEvent.objects.filter(case=again, kind=CaseEventKind.REOPENED).get()
        assert "Charged twice again" in reopened.reason


def test_a_different_category_or_an_old_resolution_opens_a_new_case(org_a: OrgWorld):
    # Catches reopening for unrelated or long-closed problems.
    with tenant_context(org_a.organization):
        first = _open(org_a)
        services.resolve(actor=org_a.tenant(), case=first, root_cause="Other", resolution="Done")
        other = _open(org_a, category="complaint", subject="Rude agent")
        assert other.pk != first.pk
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(days=31)),
        tenant_context(org_a.organization),
    ):
        later = _open(org_a)
        assert later.pk not in (first.pk, other.pk)
        assert later.status == CaseStatus.OPEN


def test_escalation_records_who_why_and_when_and_stops_at_the_last_tier(org_a: OrgWorld):
    # Catches an escalation without its history, and escalating into nowhere.
    with time_machine.travel(NOON, tick=False), tenant_context(org_a.organization):
        case = _open(org_a)
        supervisor = org_a.tenant(Role.SUPERVISOR)
        case = services.escalate(actor=supervisor, case=case, reason="Needs a bill adjustment")
        assert case.tier is not None and case.tier.name == "Specialist"
        assert case.status == CaseStatus.ESCALATED
        event = CaseEvent.objects.filter(case=case, kind=CaseEventKind.ESCALATED).get()
        assert (event.from_tier, event.to_tier) == ("Frontline", "Specialist")
        assert event.actor == org_a.members[Role.SUPERVISOR]
        assert event.actor_label == org_a.members[Role.SUPERVISOR].user.email
        assert event.reason == "Needs a bill adjustment"
        assert event.at == NOON
        services.escalate(actor=supervisor, case=case, reason="Refund needed")
        with pytest.raises(ValidationError) as refused:
            services.escalate(actor=supervisor, case=case, reason="Even higher")
        assert "last tier" in refused.value.message_dict["reason"][0]
        assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.ESCALATED).count() == 2


def test_escalation_needs_a_reason(org_a: OrgWorld):
    with tenant_context(org_a.organization):
        case = _open(org_a)
        with pytest.raises(ValidationError) as refused:
            services.escalate(actor=org_a.tenant(), case=case, reason="  ")
        assert "reason" in refused.value.message_dict
        case.refresh_from_db()
        assert case.tier is not None and case.tier.level == 1


def test_resolving_needs_a_root_cause_from_the_list(org_a: OrgWorld):
    # Catches a resolution without a root cause (the report of causes would have holes).
    with tenant_context(org_a.organization):
        case = _open(org_a)
        with pytest.raises(ValidationError) as refused:
            services.resolve(actor=org_a.tenant(), case=case, root_cause="", resolution="Fixed")
        assert "root_cause" in refused.value.message_dict
        with pytest.raises(ValidationError):
            services.resolve(
                actor=org_a.tenant(), case=case, root_cause="Gremlins", resolution="Fixed"
            )
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN
        done = services.resolve(
            actor=org_a.tenant(), case=case, root_cause="Process", resolution="Fixed"
        )
        assert (done.status, done.root_cause) == (CaseStatus.RESOLVED, "Process")
        with pytest.raises(ValidationError):
            services.escalate(actor=org_a.tenant(), case=done, reason="Too late")


def test_reopen_needs_a_resolved_case_and_a_reason(org_a: OrgWorld):
    with tenant_context(org_a.organization):
        case = _open(org_a)
        with pytest.raises(ValidationError):
            services.reopen(actor=org_a.tenant(), case=case, reason="Why not")
        services.resolve(actor=org_a.tenant(), case=case, root_cause="Other", resolution="Ok")
        with pytest.raises(ValidationError):
            services.reopen(actor=org_a.tenant(), case=case, reason="")
        again = services.reopen(actor=org_a.tenant(), case=case, reason="Still broken")
        assert (again.status, again.reopened_count) == (CaseStatus.REOPENED, 1)


def test_assign_only_to_members_who_work_cases(org_a: OrgWorld):
    with tenant_context(org_a.organization):
        case = _open(org_a)
        with pytest.raises(ValidationError):
            services.assign(actor=org_a.tenant(), case=case, owner=org_a.members[Role.QA])
        done = services.assign(actor=org_a.tenant(), case=case, owner=org_a.members[Role.AGENT])
        assert done.owner == org_a.members[Role.AGENT]
        assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNED).count() == 1


def test_open_case_refuses_bad_input_and_writes_nothing(org_a: OrgWorld):
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            services.open_case(actor=None, subject="", category="nonsense", priority="asap")
        assert set(refused.value.message_dict) == {"subject", "category", "priority"}
        assert Case.objects.count() == 0


def test_a_tier_with_cases_cannot_be_removed_and_levels_close_up(org_a: OrgWorld):
    # Catches a removed tier leaving cases without a tier, or a gap in the levels.
    with tenant_context(org_a.organization):
        case = _open(org_a)
        tiers = services.ensure_escalation_path()
        with pytest.raises(ValidationError):
            services.tier_remove(actor=org_a.tenant(), tier=tiers[0])
        services.tier_remove(actor=org_a.tenant(), tier=tiers[1])
        assert [(t.level, t.name) for t in EscalationTier.objects.order_by("level")] == [
            (1, "Frontline"),
            (2, "Supervisor"),
        ]
        services.escalate(actor=org_a.tenant(), case=case, reason="Refund")
        case.refresh_from_db()
        assert case.tier is not None and case.tier.name == "Supervisor"
        added = services.tier_add(actor=org_a.tenant(), name="Director", may_decide="anything")
        assert added.level == 3
