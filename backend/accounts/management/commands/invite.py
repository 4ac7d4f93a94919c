"""`python manage.py invite create [--uses N] [--days D] [--group NAME]`: a new invite code, printed
alone on the last line (it is shown this once: only its hash is kept)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.invites import invite_create
from chat.models import AllowanceGroup


class Command(BaseCommand):
    help = "Make invite codes for SIGNUP_MODE=invite."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make an invite code and print it.")
        create.add_argument("--uses", type=int, default=1, help="How many signups it admits (default 1).")
        create.add_argument("--days", type=float, default=None, help="Days it stays valid (default: no end).")
        create.add_argument(
            "--group", action="append", default=[], help="A group it puts new users in (repeatable; must exist)."
        )
        create.add_argument("--note", default="", help="What it is for, shown in the admin.")

    def handle(self, *args, action, uses, days, group, note, **options):
        if uses < 1:
            raise CommandError("--uses must be at least 1.")
        if days is not None and days <= 0:
            raise CommandError("--days must be more than 0.")
        groups = []
        for name in group:
            found = AllowanceGroup.objects.filter(name=name).first()
            if found is None:
                raise CommandError(f"No group named {name!r}: make it with `python manage.py group set {name}`.")
            groups.append(found)
        code = invite_create(uses=uses, days=days, groups=groups, note=note[:200])
        ends = f"for {days:g} days" if days is not None else "with no end date"
        into = f", into {', '.join(g.name for g in groups)}" if groups else ""
        self.stdout.write(f"Invite for {uses} sign-up(s), valid {ends}{into}:")
        self.stdout.write(code)
