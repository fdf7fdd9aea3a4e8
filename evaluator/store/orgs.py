"""Regions, organisations (bureau, evaluation agency, service agency), users and roles."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from evaluator.store.base import Entity, OrgKind, RegionLevel, Role, TieKind


class Region(Model):
    """Administrative division: province → city → county → township (GB/T 2260 codes)."""

    code = fields.CharField(max_length=12, primary_key=True)
    name = fields.CharField(max_length=100)
    level = fields.CharEnumField(RegionLevel, max_length=12)
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "region"


class Organisation(Entity):
    kind = fields.CharEnumField(OrgKind, max_length=20)
    name = fields.CharField(max_length=200)
    short_name = fields.CharField(max_length=50, default="")
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="organisations", null=True, on_delete=fields.RESTRICT
    )
    credit_code = fields.CharField(max_length=18, null=True, unique=True)  # 统一社会信用代码
    # service-agency eligibility (登记, 信用, 评估等级)
    registered_on = fields.DateField(null=True)
    credit_status = fields.CharField(
        max_length=30, default="normal"
    )  # normal / abnormal / serious_violation
    grade = fields.CharField(max_length=10, default="")  # 3A, 4A, 5A

    class Meta:
        table = "organisation"


class User(Entity):
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=100, default="")
    password_hash = fields.CharField(max_length=255, default="")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "app_user"


class Membership(Entity):
    """The role of a user in one organisation (a user may hold several)."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="memberships", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(Role, max_length=20)

    class Meta:
        table = "membership"
        unique_together = (("user", "organisation", "role"),)


class Declaration(Entity):
    """An evaluator's declared tie to an organisation: they are never assigned to a round
    of a contract whose agency it is, and a tie declared after assignment takes their
    values out of that round's results. Declarations are never edited or deleted."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="declarations", on_delete=fields.RESTRICT
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="declared_ties", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(TieKind, max_length=20)
    note = fields.TextField(default="")

    class Meta:
        table = "declaration"
        unique_together = (("user", "organisation", "kind"),)
