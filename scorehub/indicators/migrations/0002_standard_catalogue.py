"""Seed the standard SCORE KPIs and good practices."""

from django.db import migrations


def seed(apps, schema_editor):
    from scorehub.indicators.catalogue import ensure_catalogue

    ensure_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
