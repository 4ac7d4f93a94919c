"""Tokens of the days before DailyUsage counted them, summed from the replies still stored."""

from django.conf import settings
from django.db import migrations
from django.db.models import Sum
from django.db.models.functions import TruncDate
from zoneinfo import ZoneInfo


def backfill(apps, schema_editor):
    DailyUsage = apps.get_model("chat", "DailyUsage")
    Reply = apps.get_model("chat", "Reply")
    zone = ZoneInfo(settings.TIME_ZONE)
    sums = (
        Reply.objects.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("chatbot__user_id", "day")
        .annotate(prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
    )
    for row in sums.iterator():
        DailyUsage.objects.filter(
            user_id=row["chatbot__user_id"], day=row["day"], prompt_tokens=0, completion_tokens=0
        ).update(prompt_tokens=row["prompt"] or 0, completion_tokens=row["completion"] or 0)


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_dailyusage_tokens")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
