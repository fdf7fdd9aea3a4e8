# Spot checks commissioned by a city's or a province's civil-affairs bureau: the round names its commissioner (issue 20).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_snapshot_cards')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Round',
            name='commissioned_by',
            field=fields.ForeignKeyField('models.Organisation', source_field='commissioned_by_id', null=True, db_constraint=True, to_field='id', related_name='rounds_commissioned', on_delete=OnDelete.RESTRICT),
        ),
    ]
