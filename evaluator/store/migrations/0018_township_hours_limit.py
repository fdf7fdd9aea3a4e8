# Issue 20, item 2: the contract's limit on township administrative work (去行政化), in percent; NULL = the system's max_share.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_payment_applications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='township_hours_limit',
            field=fields.IntField(null=True),
        ),
    ]
