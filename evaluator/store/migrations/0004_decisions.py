from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_registers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('leaves', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(unique=False)),
                ('evidence', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='submitted', max_length=12)),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='appeal_decisions', on_delete=OnDelete.RESTRICT)),
                ('answer', fields.TextField(default='', unique=False)),
                ('rescored', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'appeal', 'app': 'models', 'pk_attr': 'id', 'table_description': "An agency contesting leaves of an approved round (申诉), and the lead's answer."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Decision',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('approved_on', fields.DateField()),
                ('recommended', fields.CharField(max_length=12)),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('losses', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('explanation_en', fields.TextField(unique=False)),
                ('explanation_zh', fields.TextField(unique=False)),
                ('status', fields.CharField(default='proposed', max_length=12)),
                ('outcome', fields.CharField(null=True, max_length=12)),
                ('reason', fields.TextField(default='', unique=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('superseded', fields.BooleanField(default=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'decision', 'app': 'models', 'pk_attr': 'id', 'table_description': "The recommendation for a contract after a round, and the bureau's acceptance or"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Finding',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('rule', fields.CharField(max_length=40)),
                ('severity', fields.CharField(max_length=12)),
                ('state', fields.CharField(default='open', max_length=20)),
                ('opened_on', fields.DateField()),
                ('deadline', fields.DateField(null=True)),
                ('deadline_working_days', fields.IntField(null=True)),
                ('deadline_note', fields.TextField(default='', unique=False)),
                ('escalation', fields.CharField(null=True, max_length=12)),
                ('causes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('explanation_en', fields.TextField(unique=False)),
                ('explanation_zh', fields.TextField(unique=False)),
                ('plan', fields.TextField(default='', unique=False)),
                ('evidence', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('review_comment', fields.TextField(default='', unique=False)),
                ('escalated_from', fields.ForeignKeyField('models.Finding', source_field='escalated_from_id', null=True, db_constraint=True, to_field='id', related_name='escalations', on_delete=OnDelete.RESTRICT)),
                ('version', fields.IntField(default=1)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'finding', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A deviation found in an approved round for one unit, and its rectification (整改).'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TrancheRelease',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('contract', fields.ForeignKeyField('models.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='releases', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=20)),
                ('amount_fen', fields.BigIntField()),
                ('released_on', fields.DateField()),
                ('released_by', fields.ForeignKeyField('models.User', source_field='released_by_id', null=True, db_constraint=True, to_field='id', related_name='releases', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'tranche_release', 'app': 'models', 'unique_together': (('contract', 'code'),), 'pk_attr': 'id', 'table_description': 'A tranche the bureau released (拨付): an explicit action, once per tranche.'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Contract',
            name='appeal_working_days',
            field=fields.IntField(default=5),
        ),
        ops.AddField(
            model_name='Contract',
            name='rectification_working_days',
            field=fields.IntField(null=True),
        ),
    ]
