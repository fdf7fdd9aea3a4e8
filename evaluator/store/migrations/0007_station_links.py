from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# One station, one agency at a time: two links of a station may not overlap in time, and a
# link ends after it starts. PostgreSQL keeps it with an exclusion constraint over date
# ranges (btree_gist gives GiST the equality on station_id); SQLite, which has neither, with
# triggers that refuse the same rows (SQLite writes one transaction at a time, so a trigger's
# check cannot race).
OVERLAP = "contract_station_no_overlap"
DATES = "contract_station_dates"

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"ALTER TABLE contract_station ADD CONSTRAINT {DATES} "
    "CHECK (valid_to IS NULL OR valid_to > valid_from)",
    f"ALTER TABLE contract_station ADD CONSTRAINT {OVERLAP} EXCLUDE USING gist "
    "(station_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)",
]

_CLASH = (
    "SELECT 1 FROM contract_station o WHERE o.station_id = NEW.station_id{other} "
    "AND (NEW.valid_to IS NULL OR o.valid_from < NEW.valid_to) "
    "AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from)"
)
SQLITE = [
    f"CREATE TRIGGER {DATES}_insert BEFORE INSERT ON contract_station "
    "WHEN NEW.valid_to IS NOT NULL AND NEW.valid_to <= NEW.valid_from "
    f"BEGIN SELECT RAISE(ABORT, '{DATES}: a link ends after it starts'); END",
    f"CREATE TRIGGER {DATES}_update BEFORE UPDATE OF valid_from, valid_to ON contract_station "
    "WHEN NEW.valid_to IS NOT NULL AND NEW.valid_to <= NEW.valid_from "
    f"BEGIN SELECT RAISE(ABORT, '{DATES}: a link ends after it starts'); END",
    f"CREATE TRIGGER {OVERLAP}_insert BEFORE INSERT ON contract_station "
    f"WHEN EXISTS ({_CLASH.format(other='')}) "
    f"BEGIN SELECT RAISE(ABORT, '{OVERLAP}: the station is linked to another contract then'); END",
    f"CREATE TRIGGER {OVERLAP}_update "
    "BEFORE UPDATE OF station_id, valid_from, valid_to ON contract_station "
    f"WHEN EXISTS ({_CLASH.format(other=' AND o.id <> NEW.id')}) "
    f"BEGIN SELECT RAISE(ABORT, '{OVERLAP}: the station is linked to another contract then'); END",
]

FIND_CLASHES = (
    "SELECT s.code AS station, a.valid_from AS a_from, a.valid_to AS a_to, "
    "b.valid_from AS b_from, b.valid_to AS b_to "
    "FROM contract_station a JOIN contract_station b "
    "ON a.station_id = b.station_id AND a.id < b.id "
    "AND (b.valid_to IS NULL OR a.valid_from < b.valid_to) "
    "AND (a.valid_to IS NULL OR a.valid_to > b.valid_from) "
    "JOIN station s ON s.id = a.station_id"
)


async def refuse_overlaps(apps, schema_editor) -> None:
    """Add the guards; rows that already break them are named instead of half-migrating."""
    client = schema_editor.client
    clashes = await client.execute_query_dict(FIND_CLASHES)
    backwards = await client.execute_query_dict(
        "SELECT s.code AS station, c.valid_from, c.valid_to FROM contract_station c "
        "JOIN station s ON s.id = c.station_id "
        "WHERE c.valid_to IS NOT NULL AND c.valid_to <= c.valid_from"
    )
    if clashes or backwards:
        lines = [
            f"station {r['station']}: [{r['a_from']}, {r['a_to']}) overlaps "
            f"[{r['b_from']}, {r['b_to']})"
            for r in clashes
        ] + [
            f"station {r['station']}: link ends {r['valid_to']} before it starts {r['valid_from']}"
            for r in backwards
        ]
        raise RuntimeError(
            "station links overlap or end before they start; end or correct them first "
            "(社工站关联期间重叠或结束早于开始，请先更正):\n  " + "\n  ".join(lines)
        )
    pg = client.capabilities.dialect == "postgres"
    for statement in POSTGRES if pg else SQLITE:
        await client.execute_script(statement)


async def drop_guards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for name in (OVERLAP, DATES):
            await client.execute_script(f"ALTER TABLE contract_station DROP CONSTRAINT {name}")
    else:
        for name in (f"{DATES}_insert", f"{DATES}_update", f"{OVERLAP}_insert", f"{OVERLAP}_update"):
            await client.execute_script(f"DROP TRIGGER {name}")


class Migration(migrations.Migration):
    dependencies = [('models', '0006_integrity')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='succession',
            field=fields.CharField(null=True, max_length=10),
        ),
        ops.AlterModelOptions(
            name='ContractStation',
            options={'table': 'contract_station', 'app': 'models', 'unique_together': (('contract', 'station', 'valid_from'),), 'pk_attr': 'id', 'table_description': "A station's link to a contract over ``[valid_from, valid_to)``, inside the contract's"},
        ),
        ops.RunPython(refuse_overlaps, drop_guards),
    ]
