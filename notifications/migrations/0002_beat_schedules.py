"""The beat schedules of notification mail, editable in the admin (django-celery-beat)."""

import json

from django.db import migrations

SCHEDULES = [
    # (name, task, args, interval seconds or crontab fields)
    ("notifications: immediate mail left behind", "notifications.mail_due", [], 60, None),
    (
        "notifications: daily summaries",
        "notifications.mail_summaries",
        ["daily"],
        None,
        {"minute": "0", "hour": "7", "day_of_week": "*"},
    ),
    (
        "notifications: weekly summaries",
        "notifications.mail_summaries",
        ["weekly"],
        None,
        {"minute": "0", "hour": "7", "day_of_week": "1"},
    ),
]


def create(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, args, seconds, crontab in SCHEDULES:
        schedule = {}
        if seconds is not None:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        else:
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                **crontab, day_of_month="*", month_of_year="*", timezone="Europe/Amsterdam"
            )
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "args": json.dumps(args), **schedule})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
