"""The open-data switch on the community."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0007_check_back_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="community",
            name="open_data",
            field=models.BooleanField(
                default=False,
                help_text="Monthly counts per theme and municipality, without text or people and with small numbers left out, for anyone at /api/v1/open-data/signals.csv.",
                verbose_name="publish open data",
            ),
        ),
    ]
