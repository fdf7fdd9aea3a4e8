# Scheduled daily work: one row per job and day, claimed by the first worker (issue 19).
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_login_budget')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScheduledRun',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('job', fields.CharField(max_length=40)),
                ('day', fields.DateField()),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'scheduled_run', 'app': 'models', 'unique_together': (('job', 'day'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
