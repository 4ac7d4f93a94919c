"""The staff's view of who used what (`/api/v1/staff/`): 404 for everyone else, as if it were not there."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.quota_status import now, quota_day
from chat.usage_report import usage_report, usage_rows

MAX_DAYS = 366


class IsStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated and request.user.is_staff:
            return True
        raise NotFound()  # not a 403: to others the staff API does not exist


class StaffAPIView(APIView):
    """A staff-only view: an unsupported method is a 405 (the path is in the public schema anyway),
    anything else from someone not staff a 404."""

    permission_classes = [IsStaff]

    def initial(self, request, *args, **kwargs):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (an address may start with `=`, `+`, `-` or `@`)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class PeriodSerializer(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="First day (server zone); default: this month's first.")
    until = serializers.DateField(required=False, help_text="Last day, included; default: today.")
    top = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50, help_text="Users listed.")

    def validate(self, attrs):
        today, _ = quota_day(now())
        attrs.setdefault("until", today)
        attrs.setdefault("since", attrs["until"].replace(day=1))
        if attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"since": ["Must not be after `until`."]})
        if (attrs["until"] - attrs["since"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"since": [f"A period is at most {MAX_DAYS} days."]})
        return attrs


class UsageRowSerializer(serializers.Serializer):
    completions = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=20, decimal_places=8, allow_null=True, help_text="US dollars.")


class UserUsageSerializer(UsageRowSerializer):
    user_id = serializers.IntegerField()
    email = serializers.CharField(allow_null=True)


class GroupUsageSerializer(UsageRowSerializer):
    group = serializers.CharField()
    members = serializers.IntegerField()


class ModelUsageRowSerializer(UsageRowSerializer):
    model = serializers.CharField()


class DayUsageSerializer(UsageRowSerializer):
    day = serializers.DateField()


class BudgetLevelSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True, help_text="The ceiling; null: none.")
    used = serializers.IntegerField(help_text="Tokens settled and reserved by sends in flight.")
    remaining = serializers.IntegerField(allow_null=True)
    resets_at = serializers.DateTimeField()


class BudgetSerializer(serializers.Serializer):
    daily = BudgetLevelSerializer()
    monthly = BudgetLevelSerializer()


class UsageReportSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    totals = UsageRowSerializer()
    by_user = UserUsageSerializer(many=True, help_text="The top users by tokens, most first.")
    by_group = GroupUsageSerializer(many=True)
    by_model = ModelUsageRowSerializer(many=True)
    by_day = DayUsageSerializer(many=True, help_text="Days with any use, oldest first.")
    budget = BudgetSerializer(help_text="The service's tokens today and this month, against its ceilings.")


CSV_COLUMNS = ["day", "email", "model", "completions", "prompt_tokens", "completion_tokens", "cost_usd"]
NOT_STAFF = OpenApiResponse(description="You are not staff (the API does not exist for you).")


class StaffUsageView(StaffAPIView):
    @extend_schema(parameters=[PeriodSerializer], responses={200: UsageReportSerializer, 404: NOT_STAFF})
    def get(self, request):
        """Who used what over a period: by user, group, model and day, and the service's budget levels."""
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        report = usage_report(**period.validated_data, at=now())
        return Response(UsageReportSerializer(report).data)


class StaffUsageCsvView(StaffAPIView):
    def perform_content_negotiation(self, request, force=False):
        # The answer is CSV whatever the Accept header says (errors are still JSON).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[PeriodSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per day, user and model."),
            404: NOT_STAFF,
        },
    )
    def get(self, request):
        """The period's book as a CSV file (day, user, model, completions, tokens, cost)."""
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        since, until = period.validated_data["since"], period.validated_data["until"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in usage_rows(since=since, until=until):
            cost = "" if row.cost is None else f"{row.cost:.8f}"
            email = row.user.email or f"user {row.user_id}"
            writer.writerow(
                [
                    row.day,
                    _cell(email),
                    _cell(row.model),
                    row.completions,
                    row.prompt_tokens,
                    row.completion_tokens,
                    cost,
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="usage-{since}-{until}.csv"'
        return response
