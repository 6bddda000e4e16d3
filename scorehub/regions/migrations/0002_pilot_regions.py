"""Ship the pilot regions of the SCORE programme in China (Beijing Fangshan, Zhejiang / Huzhou,
Jinhua / Yongkang and the further pilot provinces)."""

from django.db import migrations


def load_pilot_regions(apps, schema_editor):
    from scorehub.regions.loading import pilot_region_rows

    Region = apps.get_model("regions", "Region")
    for row in pilot_region_rows():
        Region.objects.update_or_create(
            code=row.code,
            defaults={
                "level": row.level,
                "name_zh": row.name_zh,
                "name_en": row.name_en,
                "parent_id": row.parent,
                "prefix": row.prefix,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(load_pilot_regions, migrations.RunPython.noop)]
