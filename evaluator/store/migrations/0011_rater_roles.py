# A round's raters: the rater role each scores for, and when they submitted their part (issue 17).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_workbook_exports')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RoundAssignment',
            name='rater_role',
            field=fields.CharField(default='third_party', max_length=40),
        ),
        ops.AddField(
            model_name='RoundAssignment',
            name='submitted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
