"""The migrations build exactly the schema the models declare, on the database of this
pass (SQLite, or PostgreSQL with TEST_DATABASE_URL), and no model change lacks one.

Two independent references for "what the models declare": the models' own metadata
(tables, columns, nullability, keys, unique constraints, PostgreSQL types), and the
schema tortoise's generator builds straight from the models (``generate_schemas``),
compared object by object with the migrated one (types, defaults, indexes, foreign keys).
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import textwrap
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise import fields
from tortoise.context import TortoiseContext
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.models import Model

from evaluator.store import db as store_db

MIGRATIONS_TABLE = "tortoise_migrations"
MIGRATIONS_DIR = Path(store_db.__file__).parent / "migrations"
MIGRATIONS = [f"models.{p.stem}" for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))]


@pytest.fixture(autouse=True)
def _no_var_in_the_repository(tmp_path, monkeypatch):
    # store.db.pending_migrations() builds the default config, which creates ./var
    monkeypatch.chdir(tmp_path)


@asynccontextmanager
async def opened(url: str):
    async with TortoiseContext() as ctx:
        await ctx.init(config=store_db.tortoise_config(url))
        yield ctx


async def migrated(url: str) -> list[str]:
    async with TortoiseContext():
        return await store_db.migrate(url)


async def generated_from_models(url: str) -> None:
    async with opened(url) as ctx:
        await ctx.generate_schemas(safe=False)


# --- reading a schema back from the database ---------------------------------------------


async def read_schema(ctx) -> dict[str, dict]:
    """{table: {columns: {name: {type, null, default}}, primary: cols, unique: {cols},
    index: {cols}, fks: {(col, ref_table, ref_col, on_delete)}}}"""
    conn = ctx.db()
    if conn.capabilities.dialect == "sqlite":
        return await _read_sqlite(conn)
    return await _read_postgres(conn)


async def _read_sqlite(conn) -> dict[str, dict]:
    async def q(sql):
        return await conn.execute_query_dict(sql)

    schema = {}
    for t in await q(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        name = t["name"]
        info = await q(f'PRAGMA table_info("{name}")')
        table = {
            "columns": {
                c["name"]: {
                    "type": c["type"].upper(),
                    "null": not c["notnull"] and not c["pk"],
                    "default": c["dflt_value"],
                }
                for c in info
            },
            "primary": tuple(c["name"] for c in sorted(info, key=lambda c: c["pk"]) if c["pk"]),
            "autoincrement": "AUTOINCREMENT" in (t["sql"] or "").upper(),
            "unique": set(),
            "index": set(),
        }
        for idx in await q(f'PRAGMA index_list("{name}")'):
            if idx["origin"] == "pk":
                continue
            cols = tuple(r["name"] for r in await q(f'PRAGMA index_info("{idx["name"]}")'))
            table["unique" if idx["unique"] else "index"].add(cols)
        table["fks"] = {
            (r["from"], r["table"], r["to"], r["on_delete"].upper())
            for r in await q(f'PRAGMA foreign_key_list("{name}")')
        }
        schema[name] = table
    return schema


PG_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


async def _read_postgres(conn) -> dict[str, dict]:
    async def q(sql):
        return await conn.execute_query_dict(sql)

    schema: dict[str, dict] = {}
    for c in await q(
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        table = schema.setdefault(
            c["table_name"], {"columns": {}, "unique": set(), "index": set(), "fks": set()}
        )
        default = c["column_default"]
        if default and default.startswith("nextval("):
            default = "nextval(sequence)"
        kind = c["data_type"] + (
            f"({c['character_maximum_length']})" if c["character_maximum_length"] else ""
        )
        table["columns"][c["column_name"]] = {
            "type": kind,
            "null": c["is_nullable"] == "YES",
            "default": default,
        }
    for ix in await q(
        "SELECT t.relname AS table_name, ix.indisunique AS is_unique, ix.indisprimary AS is_primary, "
        "array_agg(a.attname::text ORDER BY k.ord) AS columns "
        "FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE n.nspname = 'public' "
        # the index behind an exclusion constraint is the constraint's (test_station_link_guards)
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = ix.indexrelid "
        "AND x.contype = 'x') "
        "GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary"
    ):
        table = schema[ix["table_name"]]
        cols = tuple(ix["columns"])
        if ix["is_primary"]:
            table["primary"] = cols
        else:
            table["unique" if ix["is_unique"] else "index"].add(cols)
    for fk in await q(
        "SELECT cl.relname AS table_name, a.attname AS col, rcl.relname AS ref_table, ra.attname AS ref_col, "
        "c.confdeltype::text AS on_delete "
        "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = cl.relnamespace "
        "JOIN pg_class rcl ON rcl.oid = c.confrelid "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND n.nspname = 'public'"
    ):
        schema[fk["table_name"]]["fks"].add(
            (fk["col"], fk["ref_table"], fk["ref_col"], PG_ON_DELETE[fk["on_delete"]])
        )
    return schema


# --- what the models declare -------------------------------------------------------------

# PostgreSQL type of each tortoise field class (most specific first), written out by hand
# so that the check does not lean on tortoise's own schema generator.
PG_TYPES = [
    (CharEnumFieldInstance, "character varying({max_length})"),
    (fields.CharField, "character varying({max_length})"),
    (fields.TextField, "text"),
    (fields.BigIntField, "bigint"),
    (fields.SmallIntField, "smallint"),
    (fields.IntField, "integer"),
    (fields.FloatField, "double precision"),
    (fields.DecimalField, "numeric"),
    (fields.BooleanField, "boolean"),
    (fields.DatetimeField, "timestamp with time zone"),
    (fields.DateField, "date"),
    (fields.UUIDField, "uuid"),
    (fields.JSONField, "jsonb"),
]


def pg_type(field) -> str:
    for cls, template in PG_TYPES:
        if isinstance(field, cls):
            return template.format(max_length=getattr(field, "max_length", None))
    raise AssertionError(
        f"test_migrations knows no PostgreSQL type for {type(field).__name__}: add it to PG_TYPES"
    )


def declared(models) -> dict[str, dict]:
    """The schema the models' metadata asks for, in the shape ``read_schema`` returns."""
    schema = {}
    for model in models:
        meta = model._meta
        column = meta.fields_db_projection  # field name (or FK source field) -> column
        table = {"columns": {}, "unique": set(), "index": set(), "fks": set(), "types": {}}
        for name, col in column.items():
            field = meta.fields_map[name]
            table["columns"][col] = {"null": bool(field.null) and not field.pk}
            if field.pk:
                table["primary"] = (col,)
            elif field.unique:
                table["unique"].add((col,))
            elif field.index:
                table["index"].add((col,))
            target = field
            if getattr(field, "reference", None) is not None:  # the FK's id column
                target = field.reference.related_model._meta.pk
            table["types"][col] = pg_type(target)
        for group in meta.unique_together or ():
            table["unique"].add(tuple(column[_source(meta, f)] for f in group))
        for name in meta.fk_fields | meta.o2o_fields:
            fk = meta.fields_map[name]
            assert isinstance(fk, ForeignKeyFieldInstance | OneToOneFieldInstance)
            related = fk.related_model._meta
            table["fks"].add(
                (
                    column[fk.source_field],
                    related.db_table,
                    related.fields_db_projection[fk.to_field],
                    fk.on_delete.upper(),
                )
            )
            if isinstance(fk, OneToOneFieldInstance):
                table["unique"].add((column[fk.source_field],))
        schema[meta.db_table] = table
    return schema


def _source(meta, field_name: str) -> str:
    field = meta.fields_map[field_name]
    return getattr(field, "source_field", None) or field_name


def model_classes(ctx):
    return list(ctx.apps.get_models_iterable())


# --- the tests ---------------------------------------------------------------------------


async def test_migrations_build_what_the_models_declare(empty_database, db_kind):
    url = await empty_database("migrated")
    assert await migrated(url) == MIGRATIONS
    async with opened(url) as ctx:
        actual = await read_schema(ctx)
        expected = declared(model_classes(ctx))
        assert await store_db.pending_migrations() == []

    assert set(actual) - set(expected) == {MIGRATIONS_TABLE}, "tables the models do not declare"
    problems = []
    for table, want in sorted(expected.items()):
        have = actual.get(table)
        if have is None:
            problems.append(f"{table}: missing")
            continue
        if set(have["columns"]) != set(want["columns"]):
            problems.append(
                f"{table}: columns {sorted(have['columns'])} != declared {sorted(want['columns'])}"
            )
        for col, spec in want["columns"].items():
            got = have["columns"].get(col)
            if got is None:
                continue
            if got["null"] != spec["null"]:
                problems.append(f"{table}.{col}: nullable={got['null']}, declared {spec['null']}")
            if db_kind == "postgres" and got["type"] != want["types"][col]:
                problems.append(f"{table}.{col}: type {got['type']}, declared {want['types'][col]}")
        if have.get("primary") != want.get("primary"):
            problems.append(
                f"{table}: primary key {have.get('primary')} != declared {want.get('primary')}"
            )
        for kind in ("unique", "index", "fks"):
            if missing := want[kind] - have[kind]:
                problems.append(f"{table}: {kind} missing {sorted(missing)}")
        if extra := have["unique"] - want["unique"]:
            problems.append(f"{table}: unique constraints not declared {sorted(extra)}")
    assert not problems, "\n".join(problems)

    # the constraints the services rely on, named once more so that a model refactoring
    # that drops one fails here with a plain message
    assert ("round_id", "unit", "leaf", "item", "rater_id") in actual["score"]["unique"]
    assert ("content_hash",) in actual["system_version"]["unique"]
    assert ("hash",) in actual["audit_event"]["unique"]
    assert ("contract_id", "station_id", "valid_from") in actual["contract_station"]["unique"]


async def test_migrations_build_the_same_schema_as_the_models_generator(empty_database):
    """Types, defaults, key kinds (no sequence/AUTOINCREMENT where the model assigns the
    key), indexes and foreign keys, compared with tortoise's generate_schemas."""
    from_migrations = await empty_database("migrated")
    from_models = await empty_database("generated")
    await migrated(from_migrations)
    await generated_from_models(from_models)
    async with opened(from_migrations) as ctx:
        actual = await read_schema(ctx)
    async with opened(from_models) as ctx:
        reference = await read_schema(ctx)
    actual.pop(MIGRATIONS_TABLE)
    assert sorted(actual) == sorted(reference)
    problems = []
    for table in sorted(reference):
        for key, want in reference[table].items():
            have = actual[table][key]
            if have == want:
                continue
            if isinstance(want, dict):  # columns: name the columns that differ
                for col in sorted(set(want) | set(have)):
                    if have.get(col) != want.get(col):
                        problems.append(
                            f"{table}.{col}: migrations {have.get(col)}, models {want.get(col)}"
                        )
            elif isinstance(want, set):
                problems.append(
                    f"{table} {key}: only in migrations {sorted(have - want)}, only in models {sorted(want - have)}"
                )
            else:
                problems.append(f"{table} {key}: migrations {have}, models {want}")
    assert not problems, "\n".join(problems)


async def test_migrating_twice_changes_nothing(empty_database):
    url = await empty_database("twice")
    async with opened(url):
        assert await store_db.pending_migrations() == MIGRATIONS
    assert await migrated(url) == MIGRATIONS
    assert await migrated(url) == []
    async with opened(url):
        assert await store_db.pending_migrations() == []


async def test_open_database_refuses_an_unmigrated_database(empty_database):
    url = await empty_database("unmigrated")
    with pytest.raises(store_db.DatabaseNotReady) as info:
        try:
            await store_db.open_database(url, check=True)
        finally:
            await store_db.close_database()
    (problem,) = info.value.problems
    assert "evaluator migrate" in problem.en and "evaluator migrate" in problem.zh
    assert "models.0001_initial" in problem.en
    await migrated(url)
    try:
        await store_db.open_database(url, check=True)  # now it opens
    finally:
        await store_db.close_database()


async def test_the_test_database_is_built_by_the_migrations(db):
    assert await store_db.pending_migrations() == []


# --- no model change without a migration -------------------------------------------------


async def pending_model_changes(apps_config: dict) -> list:
    """What ``tortoise makemigrations`` would write now (nothing is written)."""
    async with TortoiseContext() as ctx:
        await ctx.init(
            config={"connections": {"default": "sqlite://:memory:"}, "apps": apps_config},
            init_connections=False,
        )
        return await MigrationAutodetector(ctx.apps, apps_config).changes()


async def test_no_model_change_lacks_a_migration():
    writers = await pending_model_changes(store_db.MIGRATIONS_CONFIG["apps"])
    assert not writers, (
        "the models have changes no migration captures; run\n"
        "  python -m tortoise -c evaluator.store.db.MIGRATIONS_CONFIG makemigrations\n"
        "which would write:\n" + "\n".join(w.as_string() for w in writers)
    )


async def test_a_model_without_migration_is_noticed(tmp_path, monkeypatch):
    """The check above is not vacuous: a new model in the app shows up as a change."""
    (tmp_path / "probe_models_for_autodetector.py").write_text(
        textwrap.dedent(
            """
            from tortoise import fields
            from tortoise.models import Model

            class MigrationProbe(Model):
                id = fields.IntField(primary_key=True)
                label = fields.CharField(max_length=10)

                class Meta:
                    table = "migration_probe"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    apps = {"models": dict(store_db.MIGRATIONS_CONFIG["apps"]["models"])}
    apps["models"]["models"] = [*store_db.MODEL_MODULES, "probe_models_for_autodetector"]
    try:
        writers = await pending_model_changes(apps)
    finally:
        sys.modules.pop("probe_models_for_autodetector", None)
    assert len(writers) == 1
    text = writers[0].as_string()
    assert "MigrationProbe" in text and "CreateModel" in text
    assert writers[0].name.startswith(f"{len(MIGRATIONS) + 1:04d}_")


def test_model_descriptions_have_no_semicolons():
    """tortoise 1.1.9 runs a SQLite migration statement by statement, split at every ';'
    -- also inside the /* comments */ it makes of model docstrings and field
    descriptions, so one ';' there breaks `evaluator migrate` on SQLite with a syntax
    error far from the cause."""
    found = []
    for module in map(importlib.import_module, store_db.MODEL_MODULES):
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Model)
                and obj.__module__ == module.__name__
                and not obj._meta.abstract
            ):
                texts = [(obj.__name__, obj._meta.table_description or "")]
                texts += [
                    (f"{obj.__name__}.{n}", f.description or "")
                    for n, f in obj._meta.fields_map.items()
                ]
                found += [f"{where}: {text!r}" for where, text in texts if ";" in text]
    assert not found, "descriptions with ';' (SQLite migrations split there):\n" + "\n".join(found)


def test_migration_files_are_numbered_without_gaps():
    names = [m.split(".", 1)[1] for m in MIGRATIONS]
    assert names and names[0] == "0001_initial"
    numbers = [int(n[:4]) for n in names]
    assert numbers == list(range(1, len(names) + 1)), (
        f"migration numbers have gaps or repeats: {names}"
    )


async def test_migration_0006_fills_the_keys_of_existing_rows(db):
    """Rows stored before 0006: each station gets its normalised code, each register
    version in force its key, the others are marked replaced."""
    from types import SimpleNamespace

    from services.workflow_fixtures import build_county

    from evaluator.store.contracts import Station

    integrity = importlib.import_module("evaluator.store.migrations.0006_integrity")
    county = await build_county()
    await db.connection.execute_query(db.sql("UPDATE station SET code_key = NULL"))
    await db.connection.execute_query(
        db.sql("UPDATE station SET code = ? WHERE code = ?"), ["ＳＴ０３ ", "ST03"]
    )
    await integrity.fill_keys(None, SimpleNamespace(client=db.connection))
    keys = dict(await Station.all().values_list("code", "code_key"))
    assert keys == {"ST01": "st01", "ST02": "st02", "ＳＴ０３ ": "st03"}
    assert county.stations


async def test_migration_0014_names_the_snapshot_in_force_of_existing_rounds(db):
    """Rounds approved before 0014 get the newest of their snapshots; others stay NULL."""
    from types import SimpleNamespace

    from server.api_fixtures import World, fresh_round
    from services.workflow_fixtures import build_county

    from evaluator.services import rounds as rs
    from evaluator.services.actors import Actor
    from evaluator.store.rounds import ApprovalSnapshot, Round

    snapshots = importlib.import_module("evaluator.store.migrations.0014_snapshot_cards")
    county = await build_county()
    world = World(county, {}, county.actors)
    approved = await fresh_round(world, "approved")
    reopened = await rs.reopen_round(Actor.system(), approved, approved.version, "again")
    await rs.submit_round(Actor.system(), reopened, reopened.version)
    again = await Round.get(id=approved.id)
    await rs.approve_round(Actor.system(), again, again.version)
    newest = await ApprovalSnapshot.filter(round_id=approved.id).order_by("-created_at").first()
    assert (await Round.get(id=approved.id)).snapshot_in_force == newest.id
    await db.connection.execute_query(
        db.sql("UPDATE evaluation_round SET snapshot_in_force = NULL")
    )
    await snapshots.name_snapshots_in_force(None, SimpleNamespace(client=db.connection))
    named = dict(await Round.all().values_list("id", "snapshot_in_force"))
    assert str(named.pop(approved.id)) == str(newest.id)
    assert set(named.values()) == {None}


async def test_migration_0019_samples_every_station_of_earlier_spot_checks(db):
    """Spot checks made before 0019 scored every station of their contract on their date:
    they are recorded with the sample ``all``; a spot check that has a sample keeps it."""
    from types import SimpleNamespace

    from services.workflow_fixtures import build_county

    from evaluator.services import rounds as rs
    from evaluator.services.spot_samples import SampleRequest, sample_document
    from evaluator.store.base import RoundKind
    from evaluator.store.rounds import Round, RoundSample, SampledStation, SystemVersion

    samples = importlib.import_module("evaluator.store.migrations.0019_spot_check_samples")
    county = await build_county()
    made = [
        await rs.create_round(
            county.actors["bureau"],
            contract=county.contract_a,
            evaluation_agency=county.evaluators,
            kind=RoundKind.SPOT_CHECK,
            system=await SystemVersion.get(id=county.round_a.system_id),
            as_of=dt.date(2026, 6, 30),
            sample=sample,
        )
        for sample in (None, SampleRequest(stations=("ST02",)))
    ]
    earlier, sampled = made
    row = await RoundSample.get(round_id=earlier.id)
    await SampledStation.filter(sample_id=row.id).delete()
    await row.delete()
    await samples.sample_earlier_spot_checks(None, SimpleNamespace(client=db.connection))
    doc = await sample_document(await Round.get(id=earlier.id))
    assert doc is not None and (doc["method"], doc["stations"], doc["population"]) == (
        "all",
        ["ST01", "ST02"],
        2,
    )
    assert (await sample_document(sampled))["stations"] == ["ST02"]
    assert await sample_document(county.round_a) is None  # not a spot check
