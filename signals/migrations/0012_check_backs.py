"""Check-backs: asked once per local solution, one answer per person."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("signals", "0011_answers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckBack",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("asked_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="asked")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed")),
                ("reopened", models.BooleanField(default=False, verbose_name="reopened the signal")),
                (
                    "resolution",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="check_back", to="signals.signalevent"
                    ),
                ),
                (
                    "signal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="check_backs", to="signals.signal"
                    ),
                ),
            ],
            options={
                "verbose_name": "check-back",
                "verbose_name_plural": "check-backs",
                "ordering": ["-asked_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="CheckBackAnswer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("still_a_problem", models.BooleanField(null=True, verbose_name="still a problem")),
                ("note", models.TextField(blank=True, max_length=2000, verbose_name="note")),
                ("answered_at", models.DateTimeField(blank=True, null=True, verbose_name="answered")),
                ("mailed_at", models.DateTimeField(blank=True, null=True, verbose_name="mailed")),
                (
                    "check_back",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="answers", to="signals.checkback"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="check_back_answers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "check-back answer",
                "verbose_name_plural": "check-back answers",
                "ordering": ["check_back", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("check_back", "user"), name="check_back_answer_one_per_person")
                ],
            },
        ),
    ]
