# Offline scoring workbooks: the stamp each export issued (issue 17).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_declarations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkbookExport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='workbook_exports', on_delete=OnDelete.RESTRICT)),
                ('rater', fields.ForeignKeyField('models.User', source_field='rater_id', db_constraint=True, to_field='id', related_name='workbook_exports', on_delete=OnDelete.RESTRICT)),
                ('stamp_sha256', fields.CharField(max_length=64)),
            ],
            options={'table': 'workbook_export', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An offline scoring workbook handed to a rater: the sha256 of its stamp (round,'},
            bases=['Entity'],
        ),
    ]
