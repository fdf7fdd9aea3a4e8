from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_decisions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HolidaySchedule',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('year', fields.IntField()),
                ('revision', fields.IntField()),
                ('canonical', fields.TextField(unique=False)),
                ('content_hash', fields.CharField(max_length=71)),
                ('source', fields.TextField(unique=False)),
                ('file_name', fields.CharField(default='', max_length=255)),
                ('added_by', fields.ForeignKeyField('models.User', source_field='added_by_id', null=True, db_constraint=True, to_field='id', related_name='holiday_schedules', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'holiday_schedule', 'app': 'models', 'unique_together': (('year', 'revision'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Finding',
            name='deadline_basis',
            field=fields.CharField(default='official', db_default='official', max_length=12),
        ),
        ops.AddField(
            model_name='Round',
            name='appeal_basis',
            field=fields.CharField(default='', db_default='', max_length=12),
        ),
        ops.AddField(
            model_name='Round',
            name='appeal_note',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='Round',
            name='appeal_until',
            field=fields.DateField(null=True),
        ),
    ]
