"""The report log (报告记录): one row per report due."""

from __future__ import annotations

from evaluator.evidence.columns import Column
from evaluator.evidence.schema import Schema, opt, period_matches, station, unique

_REPORT_TYPE = Column(
    "report_type",
    "报告类型",
    "Report type",
    "choice",
    True,
    aliases=("类型", "报告种类", "Type"),
    options=(
        opt("monthly", "月度简报", "Monthly brief", "月报", "月度报告", "月度工作简报"),
        opt("quarterly", "季度报告", "Quarterly report", "季报"),
        opt("midterm", "中期报告", "Mid-term report", "中期"),
        opt("final", "末期报告", "Final report", "终期报告", "末期", "年度报告"),
        opt("other", "其他", "Other"),
    ),
    example="月度简报",
)
_PERIOD = Column(
    "period",
    "报告期",
    "Period",
    "period",
    True,
    aliases=("所属期间", "期间", "报告期间", "月份"),
    example="2025-03",
)

REPORTS = Schema(
    kind="reports",
    zh="报告记录",
    en="Report log",
    sheet="报告记录",
    description_en="One row per report due: monthly briefs, quarterly, mid-term and final "
    "reports. An empty submitted date means not submitted. Which reports are due, and by "
    "when, is the contract's report schedule: a report it asks for that the log does not "
    "list counts as missing.",
    description_zh="每份应交报告一行：月度简报、季度、中期和末期报告。提交日期为空表示未提交。"
    "应交哪些报告、何时应交以合同的报告报送要求为准：合同要求而未列入本表的报告计为未交。",
    columns=(
        station(required=False),
        _REPORT_TYPE,
        _PERIOD,
        Column(
            "due_date",
            "应交日期",
            "Due date",
            "date",
            True,
            aliases=("截止日期", "应提交日期", "Deadline"),
            example="2025-04-10",
        ),
        Column(
            "submitted_date",
            "提交日期",
            "Submitted date",
            "date",
            aliases=("实际提交日期", "报送日期", "Submitted"),
            example="2025-04-08",
            note_en="empty if not submitted",
            note_zh="未提交则留空",
        ),
    ),
    rules=(period_matches(_REPORT_TYPE, _PERIOD), unique(station(False), _REPORT_TYPE, _PERIOD)),
)
