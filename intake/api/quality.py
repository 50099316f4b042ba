"""Intake API: QA scorecards, reviews and the accuracy report.

Scorecards and reviews need ``review_quality``; the accuracy report ``view_quality``
(leadership included).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from intake.capabilities import IntakeCapability
from intake.models import Case, Intake, Scorecard
from intake.selectors import quality as selectors
from intake.services import quality as services
from tenancy.access.api import TenantAPIView
from tenancy.access.converters import BIGINT_MAX

REVIEW = IntakeCapability.REVIEW_QUALITY
VIEW_QUALITY = IntakeCapability.VIEW_QUALITY


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, **kwargs)


class ScorecardQuestionSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.QUESTION_TEXT_LIMIT)
    weight = serializers.IntegerField(min_value=services.WEIGHT_MIN, max_value=services.WEIGHT_MAX)
    critical = serializers.BooleanField(
        required=False, default=False, help_text="A failed critical question scores 0."
    )


class ScorecardQuestionReadSerializer(ScorecardQuestionSerializer):
    id = serializers.CharField(help_text="The key of this question in a review's answers.")


class ScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    questions = ScorecardQuestionReadSerializer(many=True)
    created_at = serializers.DateTimeField()


class ScorecardCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_LIMIT)
    questions = serializers.ListField(
        child=ScorecardQuestionSerializer(), min_length=1, max_length=services.MAX_QUESTIONS
    )


class QAReviewCreateSerializer(serializers.Serializer):
    scorecard_id = _id_field(required=False, help_text="Default: the active scorecard.")
    intake_id = _id_field(required=False, help_text="A completed intake (or give case_id).")
    case_id = _id_field(required=False, help_text="A resolved case (or give intake_id).")
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Each question id → true (passed) or false (failed); every question.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=services.COMMENT_LIMIT
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("intake_id" in attrs) == ("case_id" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give intake_id or case_id, not both."]}
            )
        return attrs


class QAReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scorecard_id = serializers.IntegerField()
    intake_id = serializers.IntegerField(allow_null=True)
    case_id = serializers.IntegerField(allow_null=True)
    agent_id = serializers.IntegerField(allow_null=True)
    reviewer_id = serializers.IntegerField(allow_null=True)
    answers = serializers.DictField(child=serializers.BooleanField())
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    critical_failed = serializers.BooleanField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class QAAccuracyFilterSerializer(serializers.Serializer):
    days = serializers.ChoiceField(
        choices=[(days, str(days)) for days in selectors.PERIODS],
        required=False,
        help_text="7, 30 (default) or 90.",
        error_messages={"invalid_choice": "Choose 7, 30 or 90 days."},
    )


class QAAccuracyRowSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The agent, script or location.")
    reviewed = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    critical_failures = serializers.IntegerField()


class QAAccuracySerializer(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateTimeField(help_text="Midnight in the organisation's zone.")
    time_zone = serializers.CharField()
    reviewed = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    critical_failures = serializers.IntegerField()
    by_agent = QAAccuracyRowSerializer(many=True)
    by_script = QAAccuracyRowSerializer(many=True)
    by_location = QAAccuracyRowSerializer(many=True)


def _rows(rows: list[selectors.AccuracyRow]) -> list[dict[str, Any]]:
    return [
        {
            "name": row.label,
            "reviewed": row.reviewed,
            "average": row.average,
            "critical_failures": row.critical_failures,
        }
        for row in rows
    ]


class QualityAPIView(TenantAPIView):
    # A method a view names no capability for needs the read capability.
    required_capability = VIEW_QUALITY


@extend_schema_view(
    get=extend_schema(summary="List QA scorecards", responses=ScorecardSerializer(many=True)),
    post=extend_schema(
        summary="Create a QA scorecard",
        description="1 to 50 questions, each with a weight from 1 to 100. The first "
        "scorecard becomes the active one.",
        request=ScorecardCreateSerializer,
        responses={201: ScorecardSerializer},
    ),
)
class ScorecardListView(QualityAPIView):
    """QA scorecards (cursor-paginated)."""

    capabilities_by_method = {"GET": REVIEW, "POST": REVIEW}
    serializer_class = ScorecardSerializer

    def get_queryset(self) -> QuerySet[Scorecard]:
        return Scorecard.objects.all()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ScorecardSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = self.parse(ScorecardCreateSerializer)
        questions = [dict(q) for q in data["questions"]]
        scorecard = services.scorecard_create(
            actor=self.tenant, name=data["name"], questions=questions
        )
        return Response(ScorecardSerializer(scorecard).data, status=201)


@extend_schema_view(
    post=extend_schema(
        summary="Review a completed intake or a resolved case",
        description="Score = weight passed / total weight × 100; 0 when a critical question "
        "fails. One review per scorecard per intake or case.",
        request=QAReviewCreateSerializer,
        responses={201: QAReviewSerializer},
    )
)
class ReviewCreateView(QualityAPIView):
    """Record a QA review."""

    capabilities_by_method = {"POST": REVIEW}
    serializer_class = QAReviewSerializer

    def post(self, request: Request) -> Response:
        data = self.parse(QAReviewCreateSerializer)
        if "scorecard_id" in data:
            scorecard = Scorecard.objects.filter(pk=data["scorecard_id"]).first()
            if scorecard is None:
                raise serializers.ValidationError({"scorecard_id": ["No such scorecard."]})
        else:
            scorecard = services.active_scorecard()
            if scorecard is None:
                raise serializers.ValidationError(
                    {"scorecard_id": ["There is no active scorecard: name one."]}
                )
        intake = case = None
        if "intake_id" in data:
            intake = (
                Intake.objects.select_related("script_version").filter(pk=data["intake_id"]).first()
            )
            if intake is None:
                raise serializers.ValidationError({"intake_id": ["No such intake."]})
        else:
            case = Case.objects.filter(pk=data["case_id"]).first()
            if case is None:
                raise serializers.ValidationError({"case_id": ["No such case."]})
        review = services.review_create(
            actor=self.tenant,
            scorecard=scorecard,
            intake=intake,
            case=case,
            answers=dict(data["answers"]),
            comment=data.get("comment", ""),
        )
        return Response(QAReviewSerializer(review).data, status=201)


@extend_schema_view(
    get=extend_schema(
        summary="QA accuracy over a period",
        parameters=[QAAccuracyFilterSerializer],
        responses=QAAccuracySerializer,
    )
)
class AccuracyView(QualityAPIView):
    """Average score, reviews and critical failures, overall and by agent, script and
    location, over the last 7, 30 or 90 days in the organisation's time zone."""

    capabilities_by_method = {"GET": VIEW_QUALITY}
    serializer_class = QAAccuracySerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        days = self.filters(QAAccuracyFilterSerializer).get("days") or 30
        zone = self.tenant.organization.time_zone
        report = selectors.accuracy(days=days, zone=zone)
        body = {
            "days": days,
            "since": report.since,
            "time_zone": zone,
            "reviewed": report.reviewed,
            "average": report.average,
            "critical_failures": report.critical_failures,
            "by_agent": _rows(report.by_agent),
            "by_script": _rows(report.by_script),
            "by_location": _rows(report.by_location),
        }
        return Response(QAAccuracySerializer(body).data)


urlpatterns: list[URLPattern] = [
    path("qa/scorecards/", ScorecardListView.as_view(), name="api-intake-qa-scorecards"),
    path("qa/reviews/", ReviewCreateView.as_view(), name="api-intake-qa-reviews"),
    path("qa/accuracy/", AccuracyView.as_view(), name="api-intake-qa-accuracy"),
]
