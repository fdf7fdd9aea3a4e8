"""What follows from a round: deviation findings and their rectification, the renew-or-rebid
recommendation and the bureau's decision, tranche releases, appeals."""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity
from evaluator.store.contracts import Contract
from evaluator.store.orgs import User
from evaluator.store.rounds import Round


class Finding(Entity):
    """A deviation found in an approved round for one unit, and its rectification (整改)."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="findings", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    rule = fields.CharField(max_length=40)
    severity = fields.CharField(max_length=12)  # observation correction suspension termination
    state = fields.CharField(max_length=20, default="open")
    opened_on = fields.DateField()
    deadline = fields.DateField(null=True)
    deadline_working_days = fields.IntField(null=True)
    # official: counted on published schedules; provisional: a year counted on the law's
    # holidays (recomputed when the schedule arrives); override: set by the bureau
    deadline_basis = fields.CharField(max_length=12, default="official", db_default="official")
    deadline_note = fields.TextField(default="")  # provisional: why; override: the reason
    escalation = fields.CharField(max_length=12, null=True)
    causes = fields.JSONField(default=list)
    explanation_en = fields.TextField()
    explanation_zh = fields.TextField()
    plan = fields.TextField(default="")
    evidence = fields.JSONField(default=list)  # EvidenceFile ids (str)
    review_comment = fields.TextField(default="")
    escalated_from: fields.ForeignKeyNullableRelation[Finding] = fields.ForeignKeyField(
        "models.Finding", related_name="escalations", null=True, on_delete=fields.RESTRICT
    )
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "finding"


class Decision(Entity):
    """The recommendation for a contract after a round, and the bureau's acceptance or
    override (with a reason). A newer one (after an upheld appeal) supersedes it."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="decisions", on_delete=fields.RESTRICT
    )
    approved_on = fields.DateField()  # the approval (or rescoring) the recommendation follows
    recommended = fields.CharField(max_length=12)  # renew conditional rebid
    reasons = fields.JSONField(default=list)
    losses = fields.JSONField(default=dict)
    explanation_en = fields.TextField()
    explanation_zh = fields.TextField()
    status = fields.CharField(max_length=12, default="proposed")  # proposed accepted overridden
    outcome = fields.CharField(max_length=12, null=True)  # what the bureau decided
    reason = fields.TextField(default="")
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="decisions", null=True, on_delete=fields.RESTRICT
    )
    decided_at = fields.DatetimeField(null=True)
    superseded = fields.BooleanField(default=False)
    version = fields.IntField(default=1)

    class Meta:
        table = "decision"


class TrancheRelease(Entity):
    """A tranche the bureau released (拨付): an explicit action, once per tranche."""

    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="releases", on_delete=fields.RESTRICT
    )
    code = fields.CharField(max_length=20)
    amount_fen = fields.BigIntField()
    released_on = fields.DateField()
    released_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="releases", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "tranche_release"
        unique_together = (("contract", "code"),)


class Appeal(Entity):
    """An agency contesting leaves of an approved round (申诉), and the lead's answer."""

    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "models.Round", related_name="appeals", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=64)
    leaves = fields.JSONField(default=list)
    reason = fields.TextField()
    evidence = fields.JSONField(default=list)
    state = fields.CharField(max_length=12, default="submitted")  # submitted upheld dismissed
    submitted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="appeals", null=True, on_delete=fields.RESTRICT
    )
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="appeal_decisions", null=True, on_delete=fields.RESTRICT
    )
    answer = fields.TextField(default="")
    rescored = fields.JSONField(default=dict)  # {leaf: value} the lead set when upholding
    version = fields.IntField(default=1)

    class Meta:
        table = "appeal"


class PaymentApplication(Entity):
    """The agency's written application for one tranche, with its vouchers (拨付申请).
    submitted → released (with the bureau's release) | returned (with a reason) |
    withdrawn (by the agency before a decision)."""

    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="payment_applications", on_delete=fields.RESTRICT
    )
    code = fields.CharField(max_length=20)
    applied_on = fields.DateField()
    applied_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payment_applications", null=True, on_delete=fields.RESTRICT
    )
    vouchers = fields.JSONField(default=list)  # [{kind, reference, evidence}]
    note = fields.TextField(default="")
    state = fields.CharField(max_length=12, default="submitted")
    # "<contract id>:<code>" while submitted or released, NULL once returned or withdrawn:
    # the unique constraint lets the database refuse a second live application
    live_key = fields.CharField(max_length=80, null=True, unique=True)
    decided_on = fields.DateField(null=True)  # released, returned or withdrawn on
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payment_decisions", null=True, on_delete=fields.RESTRICT
    )
    reason = fields.TextField(default="")  # why the bureau returned it

    class Meta:
        table = "payment_application"
