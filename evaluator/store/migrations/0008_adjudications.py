# One table: the lead evaluator's adjudicated value of a slot the raters disagree on (issue 17).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_station_links')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Adjudication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='adjudications', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('leaf', fields.CharField(max_length=40)),
                ('item', fields.CharField(default='', max_length=40)),
                ('value', fields.FloatField()),
                ('reason', fields.TextField(unique=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', db_constraint=True, to_field='id', related_name='adjudications', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'adjudication', 'app': 'models', 'unique_together': (('round', 'unit', 'leaf', 'item'),), 'pk_attr': 'id', 'table_description': "The lead evaluator's value for a slot (unit, leaf, item) on which the raters"},
            bases=['Entity'],
        ),
    ]
