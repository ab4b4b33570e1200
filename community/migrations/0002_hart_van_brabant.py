"""Load region Hart van Brabant and its nine municipalities with their CBS codes."""

from django.db import migrations

REGION = ("Hart van Brabant", "hart-van-brabant")
MUNICIPALITIES = [
    ("Tilburg", "GM0855"),
    ("Dongen", "GM0766"),
    ("Gilze en Rijen", "GM0784"),
    ("Goirle", "GM0785"),
    ("Heusden", "GM0797"),
    ("Hilvarenbeek", "GM0798"),
    ("Loon op Zand", "GM0809"),
    ("Oisterwijk", "GM0824"),
    ("Waalwijk", "GM0867"),
]


def load(apps, schema_editor):
    Region = apps.get_model("community", "Region")
    Municipality = apps.get_model("community", "Municipality")
    region, _ = Region.objects.get_or_create(slug=REGION[1], defaults={"name": REGION[0]})
    for name, code in MUNICIPALITIES:
        Municipality.objects.update_or_create(cbs_code=code, defaults={"name": name, "region": region})


def unload(apps, schema_editor):
    Municipality = apps.get_model("community", "Municipality")
    Region = apps.get_model("community", "Region")
    Municipality.objects.filter(cbs_code__in=[code for _, code in MUNICIPALITIES]).delete()
    Region.objects.filter(slug=REGION[1], municipalities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
