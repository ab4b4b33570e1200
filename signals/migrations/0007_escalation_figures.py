"""The figures behind an escalation by the rule, and at most one escalation entry per signal."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("signals", "0006_flag_signals_and_outcome"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="signalevent",
            name="figures",
            field=models.JSONField(
                blank=True,
                help_text="For an escalation by the rule: the signal's counters and the rule it met.",
                null=True,
                verbose_name="figures",
            ),
        ),
        migrations.AddConstraint(
            model_name="signalevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "transition"), ("to_status", "escalated")),
                fields=("signal",),
                name="signal_escalated_once",
            ),
        ),
    ]
