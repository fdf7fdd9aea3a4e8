from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
import unicodedata


def _key(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().casefold()


async def fill_keys(apps, schema_editor) -> None:
    """Existing rows: each station's normalised code; each register version in force gets
    its key, the others are marked replaced."""
    client = schema_editor.client
    pg = client.capabilities.dialect == "postgres"
    mark = (lambda i: f"${i}") if pg else (lambda i: "?")
    for row in await client.execute_query_dict("SELECT id, code FROM station"):
        await client.execute_query(
            f"UPDATE station SET code_key = {mark(1)} WHERE id = {mark(2)}",
            [_key(row["code"]), row["id"]],
        )
    for row in await client.execute_query_dict(
        "SELECT id, round_id, kind, active FROM register_import"
    ):
        key = f"{row['round_id']}:{row['kind']}" if row["active"] else None
        await client.execute_query(
            f"UPDATE register_import SET in_force_key = {mark(1)}, state = {mark(2)} WHERE id = {mark(3)}",
            [key, "in_force" if row["active"] else "replaced", row["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0005_calendars')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LeafWaiver',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='waivers', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('leaf', fields.CharField(max_length=40)),
                ('decision', fields.CharField(max_length=20)),
                ('reason', fields.TextField(unique=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', db_constraint=True, to_field='id', related_name='waivers', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'leaf_waiver', 'app': 'models', 'unique_together': (('round', 'unit', 'leaf'),), 'pk_attr': 'id', 'table_description': "The lead's explicit decision on a leaf left without a usable value at submission:"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='MeasuredOverride',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('round', fields.ForeignKeyField('models.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='measured_overrides', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('leaf', fields.CharField(max_length=40)),
                ('value', fields.FloatField()),
                ('reason', fields.TextField(unique=False)),
                ('appeal', fields.ForeignKeyField('models.Appeal', source_field='appeal_id', null=True, db_constraint=True, to_field='id', related_name='measured_overrides', on_delete=OnDelete.RESTRICT)),
                ('set_by', fields.ForeignKeyField('models.User', source_field='set_by_id', db_constraint=True, to_field='id', related_name='measured_overrides', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'measured_override', 'app': 'models', 'unique_together': (('round', 'unit', 'leaf'),), 'pk_attr': 'id', 'table_description': "An upheld appeal's value for a register-computed leaf of one unit: it replaces the"},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='decided_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='decided_by',
            field=fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='register_decisions', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='decision_reason',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='finding',
            field=fields.ForeignKeyField('models.Finding', source_field='finding_id', null=True, db_constraint=True, to_field='id', related_name='registers', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='in_force_key',
            field=fields.CharField(null=True, unique=True, max_length=80),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='replaces',
            field=fields.ForeignKeyField('models.RegisterImport', source_field='replaces_id', null=True, db_constraint=True, to_field='id', related_name='replaced_by', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='RegisterImport',
            name='state',
            field=fields.CharField(default='in_force', db_default='in_force', max_length=14),
        ),
        ops.AddField(
            model_name='Station',
            name='code_key',
            field=fields.CharField(null=True, unique=True, max_length=40),
        ),
        ops.RunPython(fill_keys, ops.RunPython.noop),
    ]
