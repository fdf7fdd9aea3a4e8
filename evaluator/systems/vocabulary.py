"""The metric vocabulary of the indicator-system language: the metric names a leaf's
``measure`` may give, the leaf methods each can fill, the parameters each accepts (names,
defaults, allowed values) and the contract fields a measure's target may name.

Data only (no pandas): loading and validating a system needs nothing more. The metrics
themselves are implemented over registers in :mod:`evaluator.evidence.metrics`, which a test
keeps equal to this vocabulary (tests/evidence/test_vocabulary.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Param:
    """A parameter a metric accepts: a number (``minimum`` ≤ it) or one of ``choices``."""

    name: str
    default: float | int | str
    en: str
    zh: str
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    integer: bool = False
    maximum: float | None = None

    def check(self, value: object) -> tuple[str, str] | None:
        """None if ``value`` is acceptable, else (English, Chinese) reasons."""
        if self.choices:
            if value not in self.choices:
                return (
                    f"must be one of {', '.join(self.choices)}, got {value!r}",
                    f"须为 {'、'.join(self.choices)} 之一，实际为 {value!r}",
                )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return (f"must be a number, got {value!r}", f"须为数字，实际为 {value!r}")
        if self.integer and value != int(value):
            return (f"must be a whole number, got {value!r}", f"须为整数，实际为 {value!r}")
        if self.minimum is not None and value < self.minimum:
            return (
                f"must be at least {self.minimum:g}, got {value!r}",
                f"不得小于 {self.minimum:g}，实际为 {value!r}",
            )
        if self.maximum is not None and value > self.maximum:
            return (
                f"must be at most {self.maximum:g}, got {value!r}",
                f"不得大于 {self.maximum:g}，实际为 {value!r}",
            )
        return None


@dataclass(frozen=True)
class MetricTerm:
    """What a system may say about one metric: its ``name``, the register ``kind`` it reads,
    the leaf ``methods`` it can fill, its ``params`` and whether a contract-field target
    makes sense (``targets``: a count or amount, not a share)."""

    name: str
    kind: str
    methods: tuple[str, ...]
    params: tuple[Param, ...] = ()
    targets: bool = True

    @property
    def by_param(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}


# --- parameters ----------------------------------------------------------------------------

GRACE_YEARS = Param(
    "grace_years",
    2,
    "years after hiring by which a worker must be qualified",
    "入职后须取得职业资格的年限",
    minimum=0,
    integer=True,
)
MIN_FOLLOWUPS = Param(
    "min_followups",
    6,
    "follow-ups a case needs to count",
    "个案计入所需的最少跟进次数",
    minimum=1,
    integer=True,
)
MIN_SESSIONS = Param(
    "min_sessions",
    6,
    "sessions a group needs to count",
    "小组计入所需的最少节次",
    minimum=1,
    integer=True,
)
MIN_PERSON_TIMES = Param(
    "min_person_times",
    42,
    "person-times a group needs to count",
    "小组计入所需的最少累计人次",
    minimum=0,
    integer=True,
)
MIN_PARTICIPANTS = Param(
    "min_participants",
    25,
    "participants an activity needs to count",
    "活动计入所需的最少参与人数",
    minimum=0,
    integer=True,
)
# The report kinds a contract's report schedule may ask for (decisions/report_schedule.py),
# the codes of the report log's 报告类型 column: monthly work briefs (月度工作简报), quarterly
# reports (季度报告), the mid-term (中期) and the final (末期) report. The log knows one more,
# ``other``, which no schedule asks for.
REPORT_KINDS = ("monthly", "quarterly", "midterm", "final")
PERIODIC_REPORT_KINDS = ("monthly", "quarterly")  # one report a month / a quarter
REPORT_TYPE = Param(
    "report_type",
    "monthly",
    "which reports count",
    "计入的报告类型",
    choices=(*REPORT_KINDS, "other"),
)
SCHEDULED_TYPE = Param(
    "report_type",
    "all",
    "which of the contract's scheduled reports count (all: every kind it asks for)",
    "计入合同报送要求中的哪类报告（all：合同要求的全部报告）",
    choices=("all", *REPORT_KINDS),
)
CATEGORY = Param(
    "category",
    "personnel",
    "which spending category",
    "支出类别",
    choices=("personnel", "activity", "training", "admin", "equipment", "other"),
)
RESPONDENT = Param(
    "respondent",
    "user",
    "whose answers count",
    "受访者类型",
    choices=("user", "purchaser", "community"),
)
MIN_ANSWERED = Param(
    "min_answered",
    0.8,
    "share of the 5 items a valid response answers",
    "有效问卷须作答的题项比例",
    minimum=0,
)
PHONE_QUOTA = Param(
    "phone_quota",
    50,
    "valid phone responses required (users: 50, others: 0)",
    "须达到的有效电话访问数（服务对象默认 50，其他 0）",
    minimum=0,
    integer=True,
)
ON_SITE_QUOTA = Param(
    "on_site_quota",
    10,
    "valid on-site responses required (users: 10, others: 0)",
    "须达到的有效实地访问数（服务对象默认 10，其他 0）",
    minimum=0,
    integer=True,
)
MIN_HOURS = Param(
    "min_hours",
    60,
    "training hours each worker owes in a whole year (pro rata a shorter service)",
    "每名社工全年应完成的培训时数（在岗不足一年的按天折算）",
    minimum=0,
)
MIN_STAFF = Param(
    "min_staff",
    2,
    "full-time workers a station must have on duty",
    "社工站须在岗的专职社工人数",
    minimum=1,
    integer=True,
)
SETUP_MONTHS = Param(
    "setup_months",
    1,
    "months after the contract's start by which the station must be staffed",
    "合同起始后须完成人员配备的月数",
    minimum=0,
    integer=True,
)
MAX_SHARE = Param(
    "max_share",
    0.1,
    "share of logged hours a station may spend on township administrative work when its contract sets no limit",
    "合同未约定时，乡镇行政事务时数占全部记录时数的上限比例",
    minimum=0,
    maximum=1,
)
EQUIVALENT_HOURS = Param(
    "equivalent_hours",
    0,
    "training hours that count instead of the qualification asked for (0: none)",
    "可视同取得所要求资格的培训时数（0 表示不认可）",
    minimum=0,
)
DEGREE_COUNTS = Param(
    "degree_counts",
    "no",
    "whether a relevant degree counts as the qualification asked for",
    "相关专业学历是否视同取得所要求的资格",
    choices=("no", "yes"),
)
MIN_KNOWN = Param(
    "min_known",
    3,
    "facts of 5 an aware respondent knows",
    "知晓者须知道的事项数（共 5 项）",
    minimum=1,
    integer=True,
)

# --- metrics -------------------------------------------------------------------------------

# The kind of the metrics that read the stations' approved results instead of a register
# (evaluator/evidence/metrics/results.py): an agency's portfolio leaves.
RESULTS_KIND = "station_results"

_COUNT = ("ratio", "count")
_COUNT_OR_BONUS = ("ratio", "count", "bonus")

_TERMS = (
    # staff roster
    MetricTerm("fulltime_headcount", "staff", _COUNT),
    MetricTerm(
        "qualified_share",
        "staff",
        _COUNT,
        (GRACE_YEARS, EQUIVALENT_HOURS, DEGREE_COUNTS),
        targets=False,
    ),
    MetricTerm("supervision_hours_per_worker", "staff", _COUNT),
    MetricTerm("training_hours_per_worker", "staff", _COUNT),
    MetricTerm("training_hours_met_share", "staff", _COUNT, (MIN_HOURS,), targets=False),
    MetricTerm("staffed_in_time", "staff", _COUNT, (MIN_STAFF, SETUP_MONTHS), targets=False),
    MetricTerm(
        "supervisor_qualified",
        "staff",
        _COUNT,
        (EQUIVALENT_HOURS, DEGREE_COUNTS),
        targets=False,
    ),
    MetricTerm("retention", "staff", _COUNT, targets=False),
    # service log
    MetricTerm("cases_qualified", "service_log", _COUNT_OR_BONUS, (MIN_FOLLOWUPS,)),
    MetricTerm(
        "groups_qualified", "service_log", _COUNT_OR_BONUS, (MIN_SESSIONS, MIN_PERSON_TIMES)
    ),
    MetricTerm("activities_qualified", "service_log", _COUNT_OR_BONUS, (MIN_PARTICIPANTS,)),
    MetricTerm("community_hours_share", "service_log", _COUNT, targets=False),
    MetricTerm("service_hours", "service_log", _COUNT),
    MetricTerm("township_work_within_limit", "service_log", _COUNT, (MAX_SHARE,), targets=False),
    # report log
    MetricTerm("reports_on_time", "reports", _COUNT, (REPORT_TYPE,)),
    MetricTerm("reports_on_time_share", "reports", _COUNT, (REPORT_TYPE,), targets=False),
    MetricTerm(
        "reports_scheduled_on_time_share", "reports", _COUNT, (SCHEDULED_TYPE,), targets=False
    ),
    # finance ledger
    MetricTerm("spending_share", "finance", _COUNT, (CATEGORY,), targets=False),
    MetricTerm("spending", "finance", _COUNT),
    MetricTerm("vouchers_complete_share", "finance", _COUNT, targets=False),
    # volunteer register
    MetricTerm("volunteers_registered", "volunteers", _COUNT_OR_BONUS),
    MetricTerm("volunteer_hours", "volunteers", _COUNT),
    # satisfaction survey
    MetricTerm(
        "satisfaction_mean",
        "satisfaction",
        ("likert",),
        (RESPONDENT, MIN_ANSWERED, PHONE_QUOTA, ON_SITE_QUOTA),
        targets=False,
    ),
    MetricTerm(
        "awareness_rate",
        "satisfaction",
        _COUNT,
        (RESPONDENT, MIN_ANSWERED, MIN_KNOWN),
        targets=False,
    ),
    # the stations' approved results (an agency's portfolio; not a register anyone imports)
    MetricTerm("stations_evaluated", RESULTS_KIND, _COUNT),
    MetricTerm("stations_mean_score", RESULTS_KIND, _COUNT, targets=False),
    MetricTerm("stations_passing_share", RESULTS_KIND, _COUNT, targets=False),
)

METRIC_TERMS: MappingProxyType[str, MetricTerm] = MappingProxyType({t.name: t for t in _TERMS})

# --- targets -------------------------------------------------------------------------------

# Contract fields a measure's target may name: ``contract.targets.<key>`` reads the station's
# per-station targets (ContractStation.targets), ``contract.staffing_min`` the contract's.
TARGET_PREFIX = "contract.targets."
TARGET_KEYS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "staff": ("合同约定驻站社工人数", "contracted social workers per station"),
        "cases": ("个案目标数", "target number of cases"),
        "groups": ("小组目标数", "target number of groups"),
        "activities": ("活动目标场次", "target number of activities"),
        "visits": ("探访目标人数", "target number of visits"),
        "tasks": ("交办事项数", "tasks assigned by the purchaser"),
        "volunteers": ("志愿者目标人数", "target number of registered volunteers"),
        "volunteer_hours": ("志愿服务目标时长", "target volunteer hours"),
        "budget": ("年度预算（元）", "annual budget (yuan)"),
        "reports": ("应报报告份数", "reports due"),
    }
)
CONTRACT_FIELDS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "contract.staffing_min": (
            "合同约定每站最少社工人数",
            "contract's minimum social workers per station",
        )
    }
)


def target_field_known(target: str) -> bool:
    """Whether ``target`` names a contract field a measure may compare with."""
    return target in CONTRACT_FIELDS or (
        target.startswith(TARGET_PREFIX) and target[len(TARGET_PREFIX) :] in TARGET_KEYS
    )
