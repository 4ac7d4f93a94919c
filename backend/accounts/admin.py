from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.invites import invite_code_new, invite_code_set
from accounts.models import ApiKey, Invite, User
from chat.models import AllowanceGroup


class UserCreationAdminForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


# Providers are configured by environment variables and we keep no provider tokens or allauth email
# rows: only the linked accounts are worth showing (on each user, and in allauth's own list).
for unused in (SocialApp, SocialToken, EmailAddress):
    if admin.site.is_registered(unused):
        admin.site.unregister(unused)


class SocialAccountInline(admin.TabularInline):
    model = SocialAccount
    fields = ["provider", "uid", "date_joined", "last_login"]
    readonly_fields = fields
    extra = 0
    can_delete = True
    verbose_name = "linked login provider"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AllowanceGroupInline(admin.TabularInline):
    model = AllowanceGroup.members.through
    extra = 0
    verbose_name = "allowance group"
    verbose_name_plural = "allowance groups (the most generous applies where the user has no own limit)"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [AllowanceGroupInline, SocialAccountInline]
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "nickname", "daily_limit", "daily_tokens", "is_staff", "email_verified", "date_joined"]
    search_fields = ["email", "nickname"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["nickname", "born_year", "job"]}),
        (
            "Quota (empty: the groups' or the service default)",
            {"fields": ["daily_limit", "daily_tokens", "monthly_tokens"]},
        ),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__email"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made by their owners, who alone see them once


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    """Adding one makes a new code, shown once in the message after saving (only its hash is kept)."""

    list_display = ["hint", "note", "uses", "max_uses", "expires_at", "created_at"]
    search_fields = ["hint", "note"]
    fields = ["note", "max_uses", "expires_at", "groups", "hint", "uses", "created_at"]
    readonly_fields = ["hint", "uses", "created_at"]
    filter_horizontal = ["groups"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        code = invite_code_new()
        invite_code_set(obj, code)
        super().save_model(request, obj, form, change)
        self.message_user(request, f"The invite code is {code} (shown this once).", messages.SUCCESS)
        return None
