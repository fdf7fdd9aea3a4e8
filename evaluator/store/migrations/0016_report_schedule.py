# The reports a contract asks for (issue 20, item 3): Contract.report_schedule, NULL = the default;
# and the years its workers have to qualify (item 1): Contract.qualification_years, NULL = the system's.
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_commissioned_spot_checks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='report_schedule',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Contract',
            name='qualification_years',
            field=fields.IntField(null=True),
        ),
    ]
