"""Shared bits of the tortoise-orm models: opaque UUID keys, timestamps, enums."""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Entity(Model):
    """Every public object has an opaque UUID primary key (never a sequential integer)."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True


class OrgKind(StrEnum):
    BUREAU = "bureau"  # 民政局 (purchaser / supervisor)
    EVALUATION_AGENCY = "evaluation_agency"  # 第三方评估机构
    SERVICE_AGENCY = "service_agency"  # 承接机构
    # 乡镇人民政府/街道办事处 taking part in the year-end evaluation (region: a township); a
    # township that buys a contract itself is a bureau whose region is a township
    TOWNSHIP = "township"


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


class Role(StrEnum):
    ADMIN = "admin"
    BUREAU_OFFICER = "bureau_officer"
    EVALUATOR = "evaluator"
    LEAD_EVALUATOR = "lead_evaluator"
    AGENCY_USER = "agency_user"
    AUDITOR = "auditor"
    # an official of a township government (OrgKind.TOWNSHIP): rates the stations of their
    # township for the purchaser in final and annual rounds, and sees nothing else
    TOWNSHIP_OFFICIAL = "township_official"


class RoundKind(StrEnum):
    MID_TERM = "mid_term"  # 中期评估
    FINAL = "final"  # 末期评估
    ANNUAL = "annual"
    SPOT_CHECK = "spot_check"  # 抽查


# the buying bureau's own evaluations of a contract (they gate its tranches and recommend
# renewal); a spot check is scored like them but does neither
OWN_EVALUATIONS = (RoundKind.MID_TERM, RoundKind.FINAL, RoundKind.ANNUAL)
# the year-end evaluations, in which the township rates its station (county plans)
YEAR_END = (RoundKind.FINAL, RoundKind.ANNUAL)
# the roles of a round's evaluation panel (RoundAssignment.role besides a township official)
PANEL_ROLES = (Role.EVALUATOR, Role.LEAD_EVALUATOR)


class RoundState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # locked
    REOPENED = "reopened"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INSUFFICIENT = "insufficient"


class TieKind(StrEnum):
    """How an evaluator is tied to an organisation (利益关联)."""

    EMPLOYMENT = "employment"  # works or worked there 任职
    FAMILY = "family"  # a relative works there 亲属
    PAST_CONTRACT = "past_contract"  # served it under a contract 曾有合同往来
    OTHER = "other"
