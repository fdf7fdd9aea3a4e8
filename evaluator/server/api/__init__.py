"""The JSON API, ``/api/v1``: one blueprint per resource."""

from __future__ import annotations

from sanic import Blueprint

from evaluator.server.api import (
    appeals,
    audit,
    auth,
    calendars,
    contracts,
    decisions,
    declarations,
    evidence,
    findings,
    gaps,
    offline,
    organisations,
    panel,
    registers,
    reliability,
    rollups,
    rounds,
    scorecards,
    scores,
    sensitivity,
    spot_checks,
    stations,
    systems,
    tranches,
)

PREFIX = "/api/v1"
BLUEPRINTS = (
    auth.bp,
    offline.bp,
    organisations.bp,
    stations.bp,
    contracts.bp,
    systems.bp,
    rounds.bp,
    gaps.bp,
    scores.bp,
    evidence.bp,
    registers.bp,
    scorecards.bp,
    findings.bp,  # findings, decisions, tranches, appeals: one tag, "consequences"
    declarations.bp,
    decisions.bp,
    tranches.bp,
    appeals.bp,
    calendars.bp,
    panel.bp,
    reliability.bp,
    sensitivity.bp,
    rollups.bp,
    spot_checks.bp,
    audit.bp,
)


def api_group():
    return Blueprint.group(*BLUEPRINTS, url_prefix=PREFIX)
