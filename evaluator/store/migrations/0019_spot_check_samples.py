# The stations a spot check samples and how they were chosen, earlier spot checks sampling all; township governments and their officials (new enum values: the migration state only) (issue 20, item 5).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
import uuid
from uuid import uuid4
from evaluator.store.base import OrgKind, Role
from tortoise import fields


async def sample_earlier_spot_checks(apps, schema_editor) -> None:
    """A spot check made before samples existed scored every station of its contract in
    force on its date: it is recorded so (method ``all``)."""
    client = schema_editor.client
    rounds = await client.execute_query_dict(
        "SELECT r.id, r.contract_id, r.as_of FROM evaluation_round r WHERE r.kind = 'spot_check'"
        " AND NOT EXISTS (SELECT 1 FROM round_sample s WHERE s.round_id = r.id)"
    )
    for r in rounds:
        as_of = str(r["as_of"])[:10]
        stations = await client.execute_query_dict(
            "SELECT station_id FROM contract_station WHERE contract_id = '%s'"
            " AND valid_from <= '%s' AND (valid_to IS NULL OR valid_to > '%s')"
            % (uuid.UUID(str(r["contract_id"])), as_of, as_of)
        )
        sample = uuid4()
        statements = [
            "INSERT INTO round_sample (id, created_at, round_id, method, seed, population)"
            " VALUES ('%s', CURRENT_TIMESTAMP, '%s', 'all', '', %d)"
            % (sample, uuid.UUID(str(r["id"])), len(stations))
        ]
        statements += [
            "INSERT INTO sampled_station (id, created_at, sample_id, station_id)"
            " VALUES ('%s', CURRENT_TIMESTAMP, '%s', '%s')"
            % (uuid4(), sample, uuid.UUID(str(s["station_id"])))
            for s in stations
        ]
        await client.execute_script(";\n".join(statements))


class DescribeChoices(ops.AlterField):
    """A CharEnumField's new values change only the field's description (its choices) in the
    migration state: the column stays a varchar of the same length, so nothing is run on the
    database (SQLite's alter_field would rebuild the table and drop its unique constraints)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0018_township_hours_limit')]

    initial = False

    operations = [
        DescribeChoices(
            model_name='Membership',
            name='role',
            field=fields.CharEnumField(description='ADMIN: admin\nBUREAU_OFFICER: bureau_officer\nEVALUATOR: evaluator\nLEAD_EVALUATOR: lead_evaluator\nAGENCY_USER: agency_user\nAUDITOR: auditor\nTOWNSHIP_OFFICIAL: township_official', enum_type=Role, max_length=20),
        ),
        DescribeChoices(
            model_name='Organisation',
            name='kind',
            field=fields.CharEnumField(description='BUREAU: bureau\nEVALUATION_AGENCY: evaluation_agency\nSERVICE_AGENCY: service_agency\nTOWNSHIP: township', enum_type=OrgKind, max_length=20),
        ),
        DescribeChoices(
            model_name='RoundAssignment',
            name='role',
            field=fields.CharEnumField(description='ADMIN: admin\nBUREAU_OFFICER: bureau_officer\nEVALUATOR: evaluator\nLEAD_EVALUATOR: lead_evaluator\nAGENCY_USER: agency_user\nAUDITOR: auditor\nTOWNSHIP_OFFICIAL: township_official', enum_type=Role, max_length=20),
        ),
        ops.CreateModel(
            name='RoundSample',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.OneToOneField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='sample', on_delete=OnDelete.RESTRICT)),
                ('method', fields.CharField(max_length=10)),
                ('share', fields.FloatField(null=True)),
                ('count', fields.IntField(null=True)),
                ('seed', fields.CharField(default='', max_length=64)),
                ('population', fields.IntField()),
            ],
            options={'table': 'round_sample', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The stations a spot check scores (抽样) and how they were chosen: ``all`` (every'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='SampledStation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sample', fields.ForeignKeyField('models.RoundSample', source_field='sample_id', db_constraint=True, to_field='id', related_name='stations', on_delete=OnDelete.RESTRICT)),
                ('station', fields.ForeignKeyField('models.Station', source_field='station_id', db_constraint=True, to_field='id', related_name='sampled_in', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'sampled_station', 'app': 'models', 'unique_together': (('sample', 'station'),), 'pk_attr': 'id', 'table_description': "One station of a spot check's sample."},
            bases=['Entity'],
        ),
        ops.RunPython(sample_earlier_spot_checks, ops.RunPython.noop),
    ]
