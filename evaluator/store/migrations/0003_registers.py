from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from evaluator.store.base import ReviewStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Citation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='citations', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('leaf', fields.CharField(max_length=40)),
                ('evidence', fields.ForeignKeyField('models.EvidenceFile', source_field='evidence_id', db_constraint=True, to_field='id', related_name='citations', on_delete=OnDelete.RESTRICT)),
                ('cited_by', fields.ForeignKeyField('models.User', source_field='cited_by_id', db_constraint=True, to_field='id', related_name='citations', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=ReviewStatus.PENDING, description='PENDING: pending\nACCEPTED: accepted\nREJECTED: rejected\nINSUFFICIENT: insufficient', enum_type=ReviewStatus, max_length=12)),
                ('comment', fields.TextField(default='', unique=False)),
                ('reviewer', fields.ForeignKeyField('models.User', source_field='reviewer_id', null=True, db_constraint=True, to_field='id', related_name='citation_reviews', on_delete=OnDelete.RESTRICT)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'citation', 'app': 'models', 'unique_together': (('round', 'unit', 'leaf', 'evidence'),), 'pk_attr': 'id', 'table_description': "A leaf of a unit citing an uploaded file as its evidence, and the evaluator's"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='RegisterImport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='register_imports', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=20)),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('original_name', fields.CharField(max_length=255)),
                ('sheet', fields.CharField(null=True, max_length=100)),
                ('size', fields.BigIntField()),
                ('rows', fields.IntField()),
                ('imported_by', fields.ForeignKeyField('models.User', source_field='imported_by_id', null=True, db_constraint=True, to_field='id', related_name='register_imports', on_delete=OnDelete.RESTRICT)),
                ('active', fields.BooleanField(default=True)),
                ('replaced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('warnings', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('metrics', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
            ],
            options={'table': 'register_import', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
