"""Seed the five core SCORE modules (version 1) in both languages."""

from django.db import migrations


def seed(apps, schema_editor):
    from scorehub.training.catalogue import seed_core_modules

    seed_core_modules(apps.get_model("training", "Module"))


def unseed(apps, schema_editor):
    from scorehub.training.catalogue import CORE_MODULES

    Module = apps.get_model("training", "Module")
    Module.objects.filter(code__in=[m[0] for m in CORE_MODULES], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
