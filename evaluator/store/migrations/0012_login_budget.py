# Login throttling counted atomically: one budget row per account and per address (issue 18).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_rater_roles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginBudget',
            fields=[
                ('bucket', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=80)),
                ('window_start', fields.BigIntField()),
                ('used', fields.IntField()),
            ],
            options={'table': 'login_budget', 'app': 'models', 'pk_attr': 'bucket', 'table_description': 'The attempts that reached (or are reaching) the password check in the window opened'},
            bases=['Model'],
        ),
    ]
