"""`python manage.py group set NAME [--daily-limit N] [--daily-tokens N] [--monthly-tokens N] [--models a,b]`
creates or updates a group; `python manage.py group add NAME EMAIL` puts a user in it (`remove`, `list` too)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User, UserManager
from chat.models import AllowanceGroup

UNSET = "default"  # `--daily-tokens default`: back to the service default


def _count(value: str) -> int | None:
    if value == UNSET:
        return None
    if not value.isdigit():
        raise CommandError(f"{value!r}: expected a whole number, or {UNSET!r}.")
    return int(value)


class Command(BaseCommand):
    help = "Groups of users with their own allowances."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        set_ = actions.add_parser("set", help="Create or update a group (only the options given change).")
        set_.add_argument("name")
        set_.add_argument("--daily-limit", help=f"Completions per day ({UNSET!r}: the service default).")
        set_.add_argument("--daily-tokens", help=f"Tokens per day ({UNSET!r}: the service default).")
        set_.add_argument("--monthly-tokens", help=f"Tokens per month ({UNSET!r}: the service default).")
        set_.add_argument("--models", help="Comma-separated models its members may use (empty: all allowed).")
        for name, text in (("add", "Put a user in the group."), ("remove", "Take a user out of the group.")):
            member = actions.add_parser(name, help=text)
            member.add_argument("name")
            member.add_argument("email")
        actions.add_parser("list", help="The groups, their allowances and sizes.")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_set(self, *, name, daily_limit, daily_tokens, monthly_tokens, models, **_):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("A group's name is 1 to 100 characters.")
        group, created = AllowanceGroup.objects.get_or_create(name=name)
        for field, value in (("daily_limit", daily_limit), ("daily_tokens", daily_tokens)):
            if value is not None:
                setattr(group, field, _count(value))
        if monthly_tokens is not None:
            group.monthly_tokens = _count(monthly_tokens)
        if models is not None:
            chosen = [m.strip() for m in models.split(",") if m.strip()]
            unknown = [m for m in chosen if m not in settings.OPENAI_ALLOWED_MODELS]
            if unknown:
                allowed = ", ".join(settings.OPENAI_ALLOWED_MODELS)
                raise CommandError(f"Not an allowed model: {', '.join(unknown)} (OPENAI_ALLOWED_MODELS: {allowed}).")
            group.allowed_models = chosen
        group.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} {self._describe(group)}")

    def _member(self, name, email):
        group = AllowanceGroup.objects.filter(name=name).first()
        if group is None:
            raise CommandError(f"No group named {name!r}.")
        user = User.objects.filter(email__iexact=UserManager.normalize_email(email)).first()
        if user is None:
            raise CommandError(f"No user with the address {email!r}.")
        return group, user

    def do_add(self, *, name, email, **_):
        group, user = self._member(name, email)
        group.members.add(user)
        self.stdout.write(f"{user.email} is in {group.name}.")

    def do_remove(self, *, name, email, **_):
        group, user = self._member(name, email)
        group.members.remove(user)
        self.stdout.write(f"{user.email} is no longer in {group.name}.")

    def do_list(self, **_):
        for group in AllowanceGroup.objects.all():
            self.stdout.write(self._describe(group))

    @staticmethod
    def _describe(group) -> str:
        def shown(value):
            return UNSET if value is None else str(value)

        models = ",".join(group.allowed_models) or "all"
        return (
            f"group {group.name}: daily limit {shown(group.daily_limit)}, daily tokens {shown(group.daily_tokens)}, "
            f"monthly tokens {shown(group.monthly_tokens)}, models {models}, {group.members.count()} member(s)"
        )
