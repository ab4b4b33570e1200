"""The ten themes of PRODUCT.md, in Dutch, English and Arabic. Staff edit them afterwards."""

from django.db import migrations

THEMES = [
    ("housing", "Wonen", "Housing", "السكن"),
    ("civic-integration", "Inburgering en taal", "Civic integration and language", "الاندماج المدني واللغة"),
    ("work", "Werk en participatie", "Work and participation", "العمل والمشاركة"),
    ("education", "Onderwijs", "Education", "التعليم"),
    ("health", "Gezondheid en welzijn", "Health and wellbeing", "الصحة والرفاه"),
    ("income", "Inkomen en schulden", "Income and debts", "الدخل والديون"),
    ("family-reunification", "Gezinshereniging", "Family reunification", "لمّ شمل الأسرة"),
    ("guidance", "Begeleiding en casemanagement", "Guidance and case management", "الإرشاد وإدارة الحالات"),
    ("rules", "Regels en procedures", "Rules and procedures", "القواعد والإجراءات"),
    ("other", "Overig", "Other", "أخرى"),
]


def load(apps, schema_editor):
    Theme = apps.get_model("signals", "Theme")
    for position, (slug, nl, en, ar) in enumerate(THEMES):
        Theme.objects.update_or_create(
            slug=slug, defaults={"name_nl": nl, "name_en": en, "name_ar": ar, "position": position}
        )


def unload(apps, schema_editor):
    apps.get_model("signals", "Theme").objects.filter(slug__in=[t[0] for t in THEMES], signals=None).delete()


class Migration(migrations.Migration):
    dependencies = [("signals", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
