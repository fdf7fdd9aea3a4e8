# Approved rounds' scorecards rendered once from their snapshot and served as stored, and the
# snapshot in force named on its round (issue 19).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

async def name_snapshots_in_force(apps, schema_editor) -> None:
    """Existing rounds: the newest of their approval snapshots is the one in force."""
    await schema_editor.client.execute_script(
        "UPDATE evaluation_round SET snapshot_in_force = (SELECT s.id FROM approval_snapshot s"
        " WHERE s.round_id = evaluation_round.id ORDER BY s.created_at DESC, s.id DESC LIMIT 1)"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0013_scheduled_runs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SnapshotCard',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('snapshot', fields.ForeignKeyField('models.ApprovalSnapshot', source_field='snapshot_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.RESTRICT)),
                ('key', fields.CharField(max_length=80)),
                ('body', fields.TextField(unique=False)),
                ('etag', fields.CharField(max_length=71)),
            ],
            options={'table': 'snapshot_card', 'app': 'models', 'unique_together': (('snapshot', 'key'),), 'pk_attr': 'id', 'table_description': 'A document of an approved round rendered once from its snapshot and served as'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Round',
            name='snapshot_in_force',
            field=fields.UUIDField(null=True),
        ),
        ops.RunPython(name_snapshots_in_force, ops.RunPython.noop),
    ]
