"""Stations, contracts and the effective-dated links between them.

A station is run by an agency through a contract; the link ``ContractStation`` carries
``valid_from``/``valid_to`` so that after a rebid the history stays with the agency that
earned it and a scorecard can be computed "as of" any date.
"""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity
from evaluator.store.orgs import Organisation, Region


class Station(Entity):
    code = fields.CharField(max_length=40, unique=True)
    # the code normalised for comparison (NFKC, trimmed, case-folded): ``ＳＴ０１``, ``st01``
    # and ``ST01`` are one station
    code_key = fields.CharField(max_length=40, null=True, unique=True)
    name = fields.CharField(max_length=200)
    township: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="stations", null=True, on_delete=fields.RESTRICT
    )
    bureau: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="stations", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "station"


class Contract(Entity):
    code = fields.CharField(max_length=60, unique=True)
    title = fields.CharField(max_length=300, default="")
    buyer: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="contracts_bought", on_delete=fields.RESTRICT
    )
    agency: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="contracts_held", on_delete=fields.RESTRICT
    )
    period_start = fields.DateField()
    period_end = fields.DateField()  # this contract year; renewals are new rows
    # the contract this one follows for its stations, and how: ``renewal`` (the same agency
    # again) or ``rebid`` (the stations re-tendered); NULL for a first contract
    renewal_of: fields.ForeignKeyNullableRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="renewals", null=True, on_delete=fields.RESTRICT
    )
    succession = fields.CharField(max_length=10, null=True)
    amount_fen = fields.BigIntField()  # 分, integer money
    # [{code, share_bp (basis points, sums to 10000), trigger, due_working_days}]
    schedule = fields.JSONField(default=list)
    staffing_min = fields.IntField(default=2)  # resident social workers per station
    # years a worker has from hiring to obtain the social-worker qualification (2, or 3 in
    # one province); NULL: the indicator system's grace_years
    qualification_years = fields.IntField(null=True)
    # the most of its logged hours, in percent, a station may spend on township
    # administrative work (去行政化); NULL: the indicator system's max_share
    township_hours_limit = fields.IntField(null=True)
    # the reports the agency owes: [{kind, due_days} | {kind, due}] (decisions/report_schedule.py);
    # NULL: the contract gives none, so the default (monthly briefs, a mid-term and a final report)
    report_schedule = fields.JSONField(null=True)
    # working days to correct a finding (NULL: the deviation rule's), and the appeal window
    rectification_working_days = fields.IntField(null=True)
    appeal_working_days = fields.IntField(default=5)

    class Meta:
        table = "contract"


class ContractStation(Entity):
    """A station's link to a contract over ``[valid_from, valid_to)``, inside the contract's
    period. The database refuses two links of one station that overlap (an exclusion
    constraint on PostgreSQL, triggers on SQLite: migration 0007), so a station has one
    agency at a time."""

    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "models.Contract", related_name="station_links", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="contract_links", on_delete=fields.RESTRICT
    )
    valid_from = fields.DateField()
    valid_to = fields.DateField(null=True)  # exclusive; NULL = open-ended
    # per-station targets: cases, groups, activities, visits, volunteers, volunteer_hours, staff
    targets = fields.JSONField(default=dict)

    class Meta:
        table = "contract_station"
        unique_together = (("contract", "station", "valid_from"),)
