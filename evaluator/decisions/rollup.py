"""Roll-ups (汇总上报): a region's results for a quarter, a half year or a year, from its
counties up to the city and the province. Pure: the service gathers the facts, scoped.

Every figure is a count or an amount in fen, so it adds up: a region's figures are its own
facts (contracts bought by a bureau of that region) plus the sum of its children's. A city's
row is therefore exactly the sum of its counties' rows, and a province's of its cities'.

Which facts count in a period ``[start, end]`` (both ends included):

- **grades**: the stations of every round approved (the decision's approval date) within the
  period, by round kind and grade, as approved (the snapshot in force);
- **recommendations**: the contracts' recommendations made within the period (not
  superseded), by recommendation, and the bureau's decisions on them (accepted, overridden
  — by outcome — or still pending);
- **findings**: the findings opened within the period, by severity, and of those the ones
  still open and overdue on the day of the report;
- **money** (fen): the value of the contracts running during the period; tranches released
  within the period; released from the contracts' start to the period's end; and, on the
  day of the report, what is due (overdue included), overdue, awaiting the agency's payment
  application, withheld, not yet due and no longer payable. Released in all + due +
  awaiting application + withheld + not yet due + no longer payable = the contracts' value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from evaluator.decisions.deviations import SEVERITY_ZH
from evaluator.decisions.recommend import OUTCOME_ZH
from evaluator.decisions.words import ROUND_KIND_ZH
from evaluator.errors import InvalidInput, Problem

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]))?$")


@dataclass(frozen=True)
class ReportPeriod:
    """A quarter (``2026-Q3``), a half year (``2026-H2``) or a year (``2026``)."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def label_zh(self) -> str:
        year, _, part = self.label.partition("-")
        if not part:
            return f"{year}年"
        if part[0] == "Q":
            return f"{year}年第{'一二三四'[int(part[1]) - 1]}季度"
        return f"{year}年{'上下'[int(part[1]) - 1]}半年"

    def holds(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def parse_period(text: str, path: str = "period") -> ReportPeriod:
    """``2026-Q3`` → 2026-07-01 … 2026-09-30; ``2026-H1`` → January to June; ``2026`` the year."""
    found = _PERIOD.match(text.strip().upper()) if isinstance(text, str) else None
    if found is None or not 2000 <= int(found[1]) <= 2100:
        raise InvalidInput(
            Problem(
                f"period {text!r} is not a quarter (2026-Q3), a half year (2026-H2) or a year "
                "(2026) between 2000 and 2100",
                f"期间 {text!r} 不是季度（2026-Q3）、半年（2026-H2）或年度（2026），年份须在 2000–2100",
                path=path,
            )
        )
    year, part = int(found[1]), found[2]
    if part is None:
        first, last = 1, 12
    elif part[0] == "Q":
        first = 3 * int(part[1]) - 2
        last = first + 2
    else:
        first = 6 * int(part[1]) - 5
        last = first + 5
    end = dt.date(year + (last == 12), last % 12 + 1, 1) - dt.timedelta(days=1)
    label = f"{year}" + (f"-{part}" if part else "")
    return ReportPeriod(label, dt.date(year, first, 1), end)


def half_year_of(day: dt.date) -> str:
    """The half year a day falls in: ``2026-H2`` for 6 December 2026."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


@dataclass(frozen=True)
class RegionNode:
    code: str
    name: str
    level: str  # province city county township
    parent: str | None


# -- facts (one row per thing counted, each on the region of the contract's buyer) ----------
@dataclass(frozen=True)
class GradeFact:
    region: str
    round_kind: str
    grade: str


@dataclass(frozen=True)
class DecisionFact:
    region: str
    recommended: str
    outcome: str | None  # None while the bureau has not decided


@dataclass(frozen=True)
class FindingFact:
    region: str
    severity: str
    open_now: bool
    overdue_now: bool


@dataclass(frozen=True)
class MoneyFact:
    """One contract's money: its value, and its tranches (status today, amount, release)."""

    region: str
    amount_fen: int
    released: Sequence[tuple[int, dt.date]]  # (fen, released on)
    unreleased: Sequence[tuple[str, int, bool]]  # (status, fen, overdue) of the others


@dataclass
class Facts:
    grades: list[GradeFact] = field(default_factory=list)
    decisions: list[DecisionFact] = field(default_factory=list)
    findings: list[FindingFact] = field(default_factory=list)
    money: list[MoneyFact] = field(default_factory=list)


# The figures, in the order a table shows them; grades are keyed ``grade.<kind>.<code>``.
SEVERITIES = ("observation", "correction", "suspension", "termination")
RECOMMENDATIONS = ("renew", "conditional", "rebid")
MONEY = (
    "contract_value_fen",
    "released_in_period_fen",
    "released_to_period_end_fen",
    "due_now_fen",
    "overdue_now_fen",
    "awaiting_application_now_fen",
    "withheld_now_fen",
    "scheduled_now_fen",
    "forfeited_now_fen",
)

# a tranche not released, by its status today (decisions/tranches.py)
UNRELEASED = {
    "due": "due_now_fen",
    "awaiting_application": "awaiting_application_now_fen",
    "withheld": "withheld_now_fen",
    "scheduled": "scheduled_now_fen",
    "forfeited": "forfeited_now_fen",
}


def _add(into: dict[str, int], key: str, n: int = 1) -> None:
    into[key] = into.get(key, 0) + n


def own_figures(facts: Facts, period: ReportPeriod) -> dict[str, dict[str, int]]:
    """Region code → the figures of its own facts (not its children's)."""
    out: dict[str, dict[str, int]] = {}

    def of(region: str) -> dict[str, int]:
        return out.setdefault(region, {})

    for g in facts.grades:
        _add(of(g.region), "stations_graded")
        _add(of(g.region), f"grade.{g.round_kind}.{g.grade}")
    for d in facts.decisions:
        figures = of(d.region)
        _add(figures, "recommendations")
        _add(figures, f"recommended.{d.recommended}")
        _add(figures, f"outcome.{d.outcome}" if d.outcome else "outcome.pending")
    for f in facts.findings:
        figures = of(f.region)
        _add(figures, "findings_opened")
        _add(figures, f"findings.{f.severity}")
        _add(figures, "findings_open_now", int(f.open_now))
        _add(figures, "findings_overdue_now", int(f.overdue_now))
    for m in facts.money:
        figures = of(m.region)
        _add(figures, "contracts")
        _add(figures, "contract_value_fen", m.amount_fen)
        for fen, on in m.released:
            _add(figures, "released_in_period_fen", fen if period.holds(on) else 0)
            _add(figures, "released_to_period_end_fen", fen if on <= period.end else 0)
        for status, fen, overdue in m.unreleased:
            _add(figures, UNRELEASED[status], fen)  # every status but released has its figure
            if status == "due":
                _add(figures, "overdue_now_fen", fen if overdue else 0)
    return out


@dataclass(frozen=True)
class RollupRow:
    region: RegionNode
    depth: int  # 0 for the region asked for
    figures: Mapping[str, int]


def roll_up(
    regions: Iterable[RegionNode], root: str, facts: Facts, period: ReportPeriod
) -> list[RollupRow]:
    """The root region and every region below it down to the counties (townships are not
    reporting levels: their facts, if any, count for their county), depth first, children
    by code; each row's figures are its own plus its children's."""
    nodes = {r.code: r for r in regions}
    children: dict[str, list[str]] = {}
    for r in nodes.values():
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r.code)
    own = own_figures(facts, period)

    def total(code: str) -> dict[str, int]:
        figures = dict(own.get(code, {}))
        for child in children.get(code, []):
            for key, n in total(child).items():
                _add(figures, key, n)
        return figures

    rows: list[RollupRow] = []

    def walk(code: str, depth: int) -> None:
        rows.append(RollupRow(nodes[code], depth, total(code)))
        if nodes[code].level == "county":
            return
        for child in sorted(children.get(code, [])):
            walk(child, depth + 1)

    walk(root, 0)
    return rows


def figure_keys(rows: Sequence[RollupRow], grade_order: Sequence[str] = ()) -> list[str]:
    """Every figure key the rows hold, in a table's order: stations graded and their grades
    (by round kind, best grade first as ``grade_order`` gives them), recommendations and
    the bureau's decisions, findings by severity, contracts and money."""
    order = [
        "stations_graded",
        "grade",
        "recommendations",
        "recommended",
        "outcome",
        "findings_opened",
        "findings",
        "findings_open_now",
        "findings_overdue_now",
        "contracts",
        *MONEY,
    ]
    within_order = {
        "grade": list(grade_order),
        "recommended": list(RECOMMENDATIONS),
        "outcome": [*RECOMMENDATIONS, "pending"],
        "findings": list(SEVERITIES),
    }

    def rank(key: str) -> tuple[int, str, int, str]:
        head, *rest = key.split(".")
        last = rest[-1] if rest else ""
        among = within_order.get(head, [])
        sub = among.index(last) if last in among else len(among)
        middle = rest[0] if head == "grade" and len(rest) == 2 else ""
        return (order.index(head) if head in order else len(order), middle, sub, key)

    return sorted({k for row in rows for k in row.figures}, key=rank)


_PLAIN = {
    "stations_graded": ("stations graded", "参评站点数"),
    "recommendations": ("recommendations", "续约建议数"),
    "findings_opened": ("findings opened", "新发现问题"),
    "findings_open_now": ("of which open today", "其中至今未结"),
    "findings_overdue_now": ("of which overdue today", "其中至今逾期"),
    "contracts": ("contracts running", "在履行合同数"),
    "contract_value_fen": ("contract value (yuan)", "合同金额（元）"),
    "released_in_period_fen": ("released in the period (yuan)", "本期拨付（元）"),
    "released_to_period_end_fen": ("released to the period's end (yuan)", "截至期末累计拨付（元）"),
    "due_now_fen": ("due today, unpaid (yuan)", "当前应付未付（元）"),
    "overdue_now_fen": ("of which overdue (yuan)", "其中逾期（元）"),
    "awaiting_application_now_fen": (
        "awaiting the agency's application today (yuan)",
        "当前待承接机构申请（元）",
    ),
    "withheld_now_fen": ("withheld today (yuan)", "当前暂缓（元）"),
    "scheduled_now_fen": ("not yet due (yuan)", "尚未到期（元）"),
    "forfeited_now_fen": ("no longer payable (yuan)", "不再支付（元）"),
}


def figure_label(key: str, grade_names: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(English, Chinese) heading of a figure; ``grade_names``: grade code → (en, zh)."""
    if key in _PLAIN:
        return _PLAIN[key]
    head, *rest = key.split(".")
    if head == "grade" and len(rest) == 2:
        kind, grade = rest
        en, zh = grade_names.get(grade, (grade, grade))
        return f"{kind.replace('_', '-')}: {en}", f"{ROUND_KIND_ZH.get(kind, kind)}：{zh}"
    if head == "recommended":
        return f"recommended {rest[0]}", f"建议{OUTCOME_ZH.get(rest[0], rest[0])}"
    if head == "outcome":
        if rest[0] == "pending":
            return "bureau decision pending", "民政局待决定"
        return f"bureau decided {rest[0]}", f"民政局决定{OUTCOME_ZH.get(rest[0], rest[0])}"
    if head == "findings":
        return f"{rest[0]} findings", f"{SEVERITY_ZH.get(rest[0], rest[0])}类问题"
    return key, key


def is_money(key: str) -> bool:
    return key.endswith("_fen")
