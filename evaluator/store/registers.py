"""Imported registers (台账) and the evidence citations of leaves.

A register file is stored by content hash beside evidence files; its row is the version in
force for its (round, kind) while ``active``. The metric values computed from it at import
are kept with it (``metrics``), so that a scorecard never re-reads a million-row file.
"""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity, ReviewStatus
from evaluator.store.orgs import User
from evaluator.store.rounds import EvidenceFile, Round


class RegisterImport(Entity):
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="register_imports", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=20)
    sha256 = fields.CharField(max_length=64, db_index=True)
    original_name = fields.CharField(max_length=255)
    sheet = fields.CharField(max_length=100, null=True)
    size = fields.BigIntField()
    rows = fields.IntField()
    imported_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="register_imports", null=True, on_delete=fields.RESTRICT
    )  # NULL: imported from the command line by the system operator
    active = fields.BooleanField(default=True)
    # "<round id>:<kind>" while this version is in force, NULL otherwise: the unique
    # constraint lets the database itself refuse a second version in force
    in_force_key = fields.CharField(max_length=80, null=True, unique=True)
    # in_force | replaced | pending (waits for the lead: it would change scored leaves) |
    # rejected (the lead refused it) | rectification (kept with a finding, never in force)
    state = fields.CharField(max_length=14, default="in_force", db_default="in_force")
    replaces: fields.ForeignKeyNullableRelation[RegisterImport] = fields.ForeignKeyField(
        "models.RegisterImport", related_name="replaced_by", null=True, on_delete=fields.RESTRICT
    )  # the version that was in force when this one was imported
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="register_decisions", null=True, on_delete=fields.RESTRICT
    )  # the lead who accepted or rejected a pending replacement
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.TextField(default="", db_default="")
    finding = fields.ForeignKeyField(
        "models.Finding", related_name="registers", null=True, on_delete=fields.RESTRICT
    )  # a corrected register submitted against this finding (rectification evidence)
    replaced_at = fields.DatetimeField(null=True)
    warnings = fields.JSONField(default=list)  # [{en, zh, where}]
    # {measure key: {station code: {value, n, flags, detail}}}, plus the period they cover
    metrics = fields.JSONField(default=dict)
    period_start = fields.DateField()
    period_end = fields.DateField()

    class Meta:
        table = "register_import"


class Citation(Entity):
    """A leaf of a unit citing an uploaded file as its evidence, and the evaluator's
    review of that citation (the same file may be enough for one leaf and not another)."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="citations", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    leaf = fields.CharField(max_length=40)
    evidence: fields.ForeignKeyRelation[EvidenceFile] = fields.ForeignKeyField(
        "models.EvidenceFile", related_name="citations", on_delete=fields.RESTRICT
    )
    cited_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="citations", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(ReviewStatus, max_length=12, default=ReviewStatus.PENDING)
    comment = fields.TextField(default="")
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="citation_reviews", null=True, on_delete=fields.RESTRICT
    )
    reviewed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "citation"
        unique_together = (("round", "unit", "leaf", "evidence"),)


class MeasuredOverride(Entity):
    """An upheld appeal's value for a register-computed leaf of one unit: it replaces the
    measured value on the scorecard, with the reason, from the rescoring on."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="measured_overrides", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    leaf = fields.CharField(max_length=40)
    value = fields.FloatField()
    reason = fields.TextField()
    appeal = fields.ForeignKeyField(
        "models.Appeal", related_name="measured_overrides", null=True, on_delete=fields.RESTRICT
    )
    set_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="measured_overrides", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "measured_override"
        unique_together = (("round", "unit", "leaf"),)
