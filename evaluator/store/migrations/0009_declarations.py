# Conflicts of interest: evaluators' declared ties to organisations (issue 17).
from tortoise import migrations
from tortoise.migrations import operations as ops
from evaluator.store.base import TieKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_adjudications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Declaration',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='declarations', on_delete=OnDelete.RESTRICT)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='declared_ties', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='EMPLOYMENT: employment\nFAMILY: family\nPAST_CONTRACT: past_contract\nOTHER: other', enum_type=TieKind, max_length=20)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'declaration', 'app': 'models', 'unique_together': (('user', 'organisation', 'kind'),), 'pk_attr': 'id', 'table_description': "An evaluator's declared tie to an organisation: they are never assigned to a round"},
            bases=['Entity'],
        ),
    ]
