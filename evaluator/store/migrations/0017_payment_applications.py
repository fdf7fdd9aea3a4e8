# The agency's payment applications (拨付申请) for a tranche, one live per contract and tranche (issue 20, item 7).
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_report_schedule')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('contract', fields.ForeignKeyField('models.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='payment_applications', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=20)),
                ('applied_on', fields.DateField()),
                ('applied_by', fields.ForeignKeyField('models.User', source_field='applied_by_id', null=True, db_constraint=True, to_field='id', related_name='payment_applications', on_delete=OnDelete.RESTRICT)),
                ('vouchers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(default='', unique=False)),
                ('state', fields.CharField(default='submitted', max_length=12)),
                ('live_key', fields.CharField(null=True, unique=True, max_length=80)),
                ('decided_on', fields.DateField(null=True)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='payment_decisions', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'payment_application', 'app': 'models', 'pk_attr': 'id', 'table_description': "The agency's written application for one tranche, with its vouchers (拨付申请)."},
            bases=['Entity'],
        ),
    ]
