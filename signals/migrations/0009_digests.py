"""Digest reports: one per community and slot, one item per signal, and the outbox of deliveries."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0006_digest_schedule_and_targets"),
        ("signals", "0008_escalation_sweep_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Digest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slot", models.DateTimeField(verbose_name="scheduled for")),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("approved", "Approved"), ("sent", "Sent")],
                        default="draft",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[("nl", "Dutch"), ("en", "English"), ("ar", "Arabic")],
                        default="nl",
                        max_length=2,
                        verbose_name="language",
                    ),
                ),
                (
                    "figures",
                    models.JSONField(
                        default=dict, help_text="Community-wide figures at compile time.", verbose_name="figures"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="compiled")),
                ("approved_at", models.DateTimeField(blank=True, null=True, verbose_name="approved")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("html", models.TextField(blank=True)),
                ("text", models.TextField(blank=True)),
                ("pdf", models.BinaryField(blank=True, default=b"")),
                ("csv", models.TextField(blank=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "community",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="digests", to="community.community"
                    ),
                ),
            ],
            options={
                "verbose_name": "digest",
                "verbose_name_plural": "digests",
                "ordering": ["-slot", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="DigestDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("target_name", models.CharField(max_length=150, verbose_name="target")),
                ("address", models.EmailField(max_length=254, verbose_name="address")),
                ("message_id", models.CharField(max_length=255, unique=True, verbose_name="Message-ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sending", "Being sent"),
                            ("sent", "Sent"),
                            ("uncertain", "Uncertain: interrupted while sending; not sent again"),
                            ("failed", "Refused by the mail server"),
                        ],
                        default="pending",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "digest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="signals.digest"
                    ),
                ),
            ],
            options={
                "verbose_name": "digest delivery",
                "verbose_name_plural": "digest deliveries",
                "ordering": ["digest", "target_name", "address"],
            },
        ),
        migrations.CreateModel(
            name="DigestItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("snapshot", models.JSONField(default=dict)),
                ("held_back", models.BooleanField(default=False, verbose_name="held back")),
                ("held_back_reason", models.TextField(blank=True, verbose_name="why it was held back")),
                ("held_back_at", models.DateTimeField(blank=True, null=True)),
                (
                    "digest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="items", to="signals.digest"
                    ),
                ),
                (
                    "held_back_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "signal",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="digest_item", to="signals.signal"
                    ),
                ),
            ],
            options={
                "verbose_name": "digest item",
                "verbose_name_plural": "digest items",
                "ordering": ["digest", "pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="digest",
            constraint=models.UniqueConstraint(fields=("community", "slot"), name="digest_one_per_community_and_slot"),
        ),
        migrations.AddIndex(
            model_name="digestdelivery",
            index=models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ),
        migrations.AddConstraint(
            model_name="digestdelivery",
            constraint=models.UniqueConstraint(fields=("digest", "address"), name="delivery_one_per_address"),
        ),
    ]
