"""Staff manage groups and invites over the API (`/api/v1/staff/groups/`, `/api/v1/staff/invites/`),
as the `group` and `invite` commands and the admin do; 404 for anyone not staff."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.invites import invite_create, invite_hash
from accounts.models import Invite, User, UserManager
from chat.api.staff_views import NOT_STAFF, StaffAPIView
from chat.models import AllowanceGroup
from core.serializer_fields import StrictCharField


class GroupSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=100)
    allowed_models = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        help_text="Models its members may use (of `OPENAI_ALLOWED_MODELS`); empty: every allowed model.",
    )
    members = serializers.SerializerMethodField()

    class Meta:
        model = AllowanceGroup
        fields = ["id", "name", "daily_limit", "daily_tokens", "monthly_tokens", "allowed_models", "members"]
        extra_kwargs = {name: {"min_value": 0} for name in ("daily_limit", "daily_tokens", "monthly_tokens")}

    def validate_allowed_models(self, value: list[str]) -> list[str]:
        unknown = [model for model in value if model not in settings.OPENAI_ALLOWED_MODELS]
        if unknown:
            raise serializers.ValidationError(f"Not an allowed model: {', '.join(unknown)}.")
        return list(dict.fromkeys(value))

    def get_members(self, group) -> int:
        return group.members.count()

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError as error:
            raise serializers.ValidationError({"name": ["A group with this name exists."]}) from error


class MemberSerializer(serializers.Serializer):
    email = serializers.EmailField()


class InviteSerializer(serializers.ModelSerializer):
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Invite
        fields = ["id", "hint", "note", "max_uses", "uses", "expires_at", "groups", "created_at"]
        read_only_fields = fields


class InviteCreateSerializer(serializers.Serializer):
    uses = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    days = serializers.FloatField(min_value=0.01, max_value=3650, required=False, help_text="Default: no end.")
    groups = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=AllowanceGroup.objects.all(), required=False
    )
    note = StrictCharField(max_length=200, required=False, allow_blank=True)


class NewInviteSerializer(InviteSerializer):
    code = serializers.SerializerMethodField(help_text="The code itself: shown this once.")

    class Meta(InviteSerializer.Meta):
        fields = [*InviteSerializer.Meta.fields, "code"]
        read_only_fields = fields

    def get_code(self, invite) -> str:
        return self.context["code"]


class StaffGroupsView(StaffAPIView):
    @extend_schema(responses={200: GroupSerializer(many=True), 404: NOT_STAFF})
    def get(self, request):
        """The groups and their allowances (an empty limit is the service default)."""
        return Response(GroupSerializer(AllowanceGroup.objects.all(), many=True).data)

    @extend_schema(request=GroupSerializer, responses={201: GroupSerializer, 404: NOT_STAFF})
    def post(self, request):
        """A new group."""
        serializer = GroupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class StaffGroupView(StaffAPIView):
    @extend_schema(request=GroupSerializer, responses={200: GroupSerializer, 404: NOT_STAFF})
    def patch(self, request, pk: int):
        """Change a group's name or allowances (only the fields given)."""
        serializer = GroupSerializer(get_object_or_404(AllowanceGroup, pk=pk), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(responses={204: None, 404: NOT_STAFF})
    def delete(self, request, pk: int):
        """Delete a group (its members keep their accounts)."""
        get_object_or_404(AllowanceGroup, pk=pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffGroupMembersView(StaffAPIView):
    @extend_schema(request=MemberSerializer, responses={204: None, 404: NOT_STAFF})
    def post(self, request, pk: int):
        """Put a user (by address) in the group."""
        group = get_object_or_404(AllowanceGroup, pk=pk)
        body = MemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = User.objects.filter(email__iexact=UserManager.normalize_email(body.validated_data["email"])).first()
        if user is None:
            raise serializers.ValidationError({"email": ["No user has this address."]})
        group.members.add(user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffGroupMemberView(StaffAPIView):
    @extend_schema(responses={204: None, 404: NOT_STAFF})
    def delete(self, request, pk: int, user_id: int):
        """Take a user out of the group."""
        group = get_object_or_404(AllowanceGroup, pk=pk)
        if not group.members.filter(pk=user_id).exists():
            return Response({"detail": "This user is not in the group."}, status=status.HTTP_404_NOT_FOUND)
        group.members.remove(user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffInvitesView(StaffAPIView):
    @extend_schema(responses={200: InviteSerializer(many=True), 404: NOT_STAFF})
    def get(self, request):
        """The invites, newest first (their codes are not kept: only a hint)."""
        return Response(InviteSerializer(Invite.objects.prefetch_related("groups"), many=True).data)

    @extend_schema(request=InviteCreateSerializer, responses={201: NewInviteSerializer, 404: NOT_STAFF})
    def post(self, request):
        """A new invite; its code is in this answer only."""
        body = InviteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        code = invite_create(
            uses=data["uses"], days=data.get("days"), groups=data.get("groups", []), note=data.get("note", "")
        )
        invite = Invite.objects.get(code_hash=invite_hash(code))
        return Response(NewInviteSerializer(invite, context={"code": code}).data, status=status.HTTP_201_CREATED)


class StaffInviteView(StaffAPIView):
    @extend_schema(responses={204: None, 404: NOT_STAFF})
    def delete(self, request, pk: int):
        """Withdraw an invite: its code admits nobody more."""
        get_object_or_404(Invite, pk=pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
