"""Indicator-system versions, evaluation rounds, scores, evidence files, approvals."""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity, ReviewStatus, Role, RoundKind, RoundState
from evaluator.store.contracts import Contract, Station
from evaluator.store.orgs import Organisation, User


class SystemVersion(Entity):
    """An indicator system frozen by its content hash, never changed once stored."""

    system_code = fields.CharField(max_length=40)
    version = fields.CharField(max_length=40)
    content_hash = fields.CharField(max_length=71, unique=True)  # "sha256:" + 64 hex
    name_zh = fields.CharField(max_length=200)
    name_en = fields.CharField(max_length=200)
    unit = fields.CharField(max_length=10)
    canonical = fields.TextField()  # canonical JSON (rubric sets inlined)
    source = fields.TextField()  # the YAML as uploaded

    class Meta:
        table = "system_version"


class Round(Entity):
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="rounds", on_delete=fields.RESTRICT
    )
    evaluation_agency: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="rounds_evaluated", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(RoundKind, max_length=12)
    system: fields.ForeignKeyRelation[SystemVersion] = fields.ForeignKeyField(
        "models.SystemVersion", related_name="rounds", on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(RoundState, max_length=10, default=RoundState.DRAFT)
    as_of = fields.DateField()  # evaluation date: which station links apply
    elapsed = fields.FloatField(default=1.0)  # share of the service year elapsed (pro-rating)
    reopen_reason = fields.TextField(default="")
    # the last day to appeal, fixed at approval (never shortened afterwards); basis:
    # official | provisional | override, and the note that says why
    appeal_until = fields.DateField(null=True)
    appeal_basis = fields.CharField(max_length=12, default="", db_default="")
    appeal_note = fields.TextField(default="", db_default="")
    version = fields.IntField(default=1)
    # the id of the approval snapshot in force (the newest), set with it by its one writer
    # (services/snapshots.py): an approved round's cards are found without another query
    snapshot_in_force = fields.UUIDField(null=True)
    # a spot check commissioned by a city's or a province's civil-affairs bureau (抽查): its
    # officers see the round and take the bureau's part in it (return, approve, reopen)
    # instead of the buying bureau; NULL for the buying bureau's own rounds
    commissioned_by: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation",
        related_name="rounds_commissioned",
        null=True,
        on_delete=fields.RESTRICT,
    )

    class Meta:
        table = "evaluation_round"


class RoundSample(Entity):
    """The stations a spot check scores (抽样) and how they were chosen: ``all`` (every
    station of the contract in force on the round's date), ``stations`` (named by the
    commissioner), ``share`` or ``count`` (drawn: each station ranked by the SHA-256 of
    "seed:code", the lowest taken; the seed is the round's id). Written once, with the round."""

    round: fields.OneToOneRelation[Round] = fields.OneToOneField(
        "models.Round", related_name="sample", on_delete=fields.RESTRICT
    )
    method = fields.CharField(max_length=10)  # all | stations | share | count
    share = fields.FloatField(null=True)  # the share asked for (method share)
    count = fields.IntField(null=True)  # the number asked for (method count)
    seed = fields.CharField(max_length=64, default="")  # the draw's seed ("" unless drawn)
    population = fields.IntField()  # the contract's stations in force it was chosen from

    class Meta:
        table = "round_sample"


class SampledStation(Entity):
    """One station of a spot check's sample."""

    sample: fields.ForeignKeyRelation[RoundSample] = fields.ForeignKeyField(
        "models.RoundSample", related_name="stations", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="sampled_in", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "sampled_station"
        unique_together = (("sample", "station"),)


class RoundAssignment(Entity):
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="assignments", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assignments", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(Role, max_length=20)  # evaluator or lead_evaluator
    # which of the system's rater roles this person scores for (third_party, purchaser, …)
    rater_role = fields.CharField(max_length=40, default="third_party")
    # when the rater submitted their part: from then on they see the panel's results
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "round_assignment"
        unique_together = (("round", "user"),)


class Score(Entity):
    """Raw input of one rater for one leaf (and checklist item) of one unit in a round."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="scores", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(
        max_length=64
    )  # the station code, or the agency's id for agency systems
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="scores", null=True, on_delete=fields.RESTRICT
    )
    leaf = fields.CharField(max_length=40)
    item = fields.CharField(max_length=40, default="")
    rater: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="scores", on_delete=fields.RESTRICT
    )
    value = fields.FloatField(null=True)
    target = fields.FloatField(null=True)
    n = fields.IntField(null=True)
    comment = fields.TextField(default="")
    evidence = fields.JSONField(default=list)  # EvidenceFile ids (str)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "score"
        unique_together = (("round", "unit", "leaf", "item", "rater"),)


class LeafWaiver(Entity):
    """The lead's explicit decision on a leaf left without a usable value at submission:
    ``not_applicable`` (the leaf is left out) or ``accepted_missing`` (the system's missing
    rule applies, visibly), with the reason."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="waivers", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    leaf = fields.CharField(max_length=40)
    decision = fields.CharField(max_length=20)  # not_applicable | accepted_missing
    reason = fields.TextField()
    decided_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="waivers", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "leaf_waiver"
        unique_together = (("round", "unit", "leaf"),)


class Adjudication(Entity):
    """The lead evaluator's value for a slot (unit, leaf, item) on which the raters
    disagree, with the written reason: it replaces the raters' values for that slot."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="adjudications", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    leaf = fields.CharField(max_length=40)
    item = fields.CharField(max_length=40, default="")
    value = fields.FloatField()
    reason = fields.TextField()
    decided_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="adjudications", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "adjudication"
        unique_together = (("round", "unit", "leaf", "item"),)


class WorkbookExport(Entity):
    """An offline scoring workbook handed to a rater: the sha256 of its stamp (round,
    system, rater, the version of each value at export), so that an import can tell a
    stamp changed by hand from the one issued."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="workbook_exports", on_delete=fields.RESTRICT
    )
    rater: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="workbook_exports", on_delete=fields.RESTRICT
    )
    stamp_sha256 = fields.CharField(max_length=64)

    class Meta:
        table = "workbook_export"


class EvidenceFile(Entity):
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="evidence_files", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="evidence_files", null=True, on_delete=fields.RESTRICT
    )
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="uploads", on_delete=fields.RESTRICT
    )
    original_name = fields.CharField(max_length=255)
    media_type = fields.CharField(max_length=100)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    status = fields.CharEnumField(ReviewStatus, max_length=12, default=ReviewStatus.PENDING)
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reviews", null=True, on_delete=fields.RESTRICT
    )
    review_comment = fields.TextField(default="")
    reviewed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "evidence_file"


class ApprovalSnapshot(Entity):
    """Engine output frozen at approval, with the digest of the inputs it came from."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="snapshots", on_delete=fields.RESTRICT
    )
    approved_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="approvals", on_delete=fields.RESTRICT
    )
    system_hash = fields.CharField(max_length=71)
    inputs_digest = fields.CharField(max_length=71)
    results = fields.TextField()  # canonical JSON of the engine's per-unit results
    results_digest = fields.CharField(max_length=71)

    class Meta:
        table = "approval_snapshot"


class SnapshotCard(Entity):
    """A document of an approved round rendered once from its snapshot and served as
    stored from then on (a station's or the agency's scorecard): ``key`` names it
    (``station:<code>``, ``agency``), ``etag`` is the digest of ``body``."""

    snapshot: fields.ForeignKeyRelation[ApprovalSnapshot] = fields.ForeignKeyField(
        "models.ApprovalSnapshot", related_name="cards", on_delete=fields.RESTRICT
    )
    key = fields.CharField(max_length=80)
    body = fields.TextField()
    etag = fields.CharField(max_length=71)

    class Meta:
        table = "snapshot_card"
        unique_together = (("snapshot", "key"),)
