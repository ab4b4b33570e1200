"""The digest schedule (weekday, time, approval switch) on the community, and its digest targets."""

import datetime

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0005_escalation_rule"),
    ]

    operations = [
        migrations.AddField(
            model_name="community",
            name="digest_approval",
            field=models.BooleanField(
                default=True,
                help_text="A coordinator reads and approves each draft before it is sent; off: drafts are sent at once.",
                verbose_name="digests need approval",
            ),
        ),
        migrations.AddField(
            model_name="community",
            name="digest_time",
            field=models.TimeField(default=datetime.time(8, 0), verbose_name="digest time"),
        ),
        migrations.AddField(
            model_name="community",
            name="digest_weekday",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (0, "Monday"),
                    (1, "Tuesday"),
                    (2, "Wednesday"),
                    (3, "Thursday"),
                    (4, "Friday"),
                    (5, "Saturday"),
                    (6, "Sunday"),
                ],
                default=0,
                verbose_name="digest day",
            ),
        ),
        migrations.CreateModel(
            name="DigestTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=150, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("ministry", "Ministry"),
                            ("divosa", "Divosa"),
                            ("vng", "VNG"),
                            ("coa", "COA"),
                            ("other", "Other"),
                        ],
                        default="other",
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "emails",
                    models.TextField(
                        help_text="One or more, separated by commas or new lines.", verbose_name="email addresses"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                (
                    "community",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="digest_targets",
                        to="community.community",
                        verbose_name="community",
                    ),
                ),
            ],
            options={
                "verbose_name": "digest target",
                "verbose_name_plural": "digest targets",
                "ordering": ["name", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("community", "name"), name="digest_target_unique_name")
                ],
            },
        ),
    ]
