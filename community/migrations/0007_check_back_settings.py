"""When and how check-backs ask again (weeks, and the threshold of 'still a problem' answers that reopens)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0006_digest_schedule_and_targets"),
    ]

    operations = [
        migrations.AddField(
            model_name="community",
            name="checkback_min_yes",
            field=models.PositiveSmallIntegerField(
                default=3,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="check-back: at least this many “still a problem” answers to reopen",
            ),
        ),
        migrations.AddField(
            model_name="community",
            name="checkback_weeks",
            field=models.PositiveSmallIntegerField(
                default=4,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(52)],
                verbose_name="check-back after (weeks)",
            ),
        ),
        migrations.AddField(
            model_name="community",
            name="checkback_yes_percent",
            field=models.PositiveSmallIntegerField(
                default=50,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)],
                verbose_name="check-back: and at least this share of the answers (%)",
            ),
        ),
    ]
