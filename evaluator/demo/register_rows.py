"""The rows of each register the demo county's agencies keep, one generator per register
(staff roster, service log, report log, finance ledger, volunteer register, satisfaction
survey), in the Chinese headers agencies use; :mod:`evaluator.demo.registers` puts them
together per contract, applies the flawed station's flaws and writes and imports them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from evaluator.decisions.report_schedule import contract_reports_due
from evaluator.demo.county import Contract, StationTargets

_CODE = {"服务对象": "U", "购买方": "P", "村（居）委会": "C", "电话": "T", "现场": "S"}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


def days_in(rng, period: Period, size: int) -> list[str]:
    span = (period.end - period.start).days
    return [
        (period.start + dt.timedelta(days=int(d))).isoformat()
        for d in rng.integers(0, span + 1, size)
    ]


def staff_rows(code, t: StationTargets, attain, rng, period: Period, weak: bool) -> list[dict]:
    """The roster: the last worker listed is the station's supervisor (督导), holding the
    intermediate qualification (社会工作师) or above."""
    rows = []
    for k in range(t.staff):
        hired = dt.date(int(rng.integers(2018, 2024)), int(rng.integers(1, 13)), 1)
        level = ["助理社会工作师", "社会工作师", "社会工作师", "高级社会工作师"][
            int(rng.integers(0, 4))
        ]
        rows.append(
            {
                "人员编号": f"{code}-P{k + 1:02d}",
                "姓名": f"社工{code[-2:]}{k + 1:02d}",
                "站点编码": code,
                "入职日期": hired.isoformat(),
                "离职日期": "",
                "是否专职": "是",
                "职业资格等级": level,
                "取得资格日期": (hired + dt.timedelta(days=int(rng.integers(30, 600)))).isoformat(),
                "出生年份": int(rng.integers(1975, 2000)),
                "培训时数": round(60 * attain + float(rng.normal(0, 3)), 1),
                "督导时数": round(24 * attain + float(rng.normal(0, 1)), 1),
                "岗位": "社工",
            }
        )
    rows[-1]["岗位"] = "督导"
    if rows[-1]["职业资格等级"] == "助理社会工作师":
        rows[-1]["职业资格等级"] = "社会工作师"
    # the weak station's supervisor leaves; an assistant without a certificate takes the post
    if weak:  # one departure, replaced three months later by an assistant without a certificate
        gone = period.start + dt.timedelta(days=40)
        rows[-1]["离职日期"] = gone.isoformat()
        rows.append(
            {
                **rows[-1],
                "人员编号": f"{code}-P{t.staff + 1:02d}",
                "姓名": f"社工{code[-2:]}{t.staff + 1:02d}",
                "入职日期": (gone + dt.timedelta(days=90)).isoformat(),
                "离职日期": "",
                "职业资格等级": "无",
                "取得资格日期": "",
            }
        )
    return rows


def service_rows(
    code, t: StationTargets, attain, rng, period: Period, elapsed: float, exact_groups: bool = False
) -> list[dict]:
    rows = []

    def add(kind, record, sessions, people, hours, place, category="一般居民"):
        rows.append(
            {
                "站点编码": code,
                "服务日期": None,
                "服务类型": kind,
                "个案/小组编号": record,
                "服务对象类别": category,
                "节次/跟进次数": sessions,
                "参与人数": people,
                "服务时数": hours,
                "服务地点": place,
            }
        )

    cases = int(np.ceil(t.cases * elapsed * attain))
    for c in range(cases + 2):  # two more cases opened lately: fewer than 6 follow-ups yet
        follow = int(rng.integers(6, 9)) if c < cases else 3
        for _ in range(follow):
            add(
                "个案",
                f"{code}-C{c + 1:03d}",
                1,
                1,
                1.5,
                ["入户", "站内", "社区"][int(rng.integers(0, 3))],
                "低保",
            )
    for g in range(int(np.ceil(t.groups * elapsed * (1.0 if exact_groups else attain)))):
        for _ in range(6):
            add("小组", f"{code}-G{g + 1:02d}", 1, int(rng.integers(8, 12)), 2.0, "社区")
    for a in range(int(np.ceil(t.activities * elapsed * attain))):
        add("社区活动", f"{code}-A{a + 1:02d}", 1, int(rng.integers(26, 80)), 3.0, "社区")
    share = min(0.9, 0.6 * attain)  # community and household share of hours
    station_hours = sum(r["服务时数"] for r in rows if r["服务地点"] == "站内")
    outside = sum(r["服务时数"] for r in rows if r["服务地点"] != "站内")
    need = max(0.0, share * (station_hours + outside) - outside) / max(1e-9, 1 - share)
    for _ in range(int(np.ceil(need / 1.0))):
        add("探访", "", 1, 1, 1.0, "入户", "独居老人")
    for _ in range(int(rng.integers(10, 20))):
        add("咨询", "", 1, 1, 0.5, "站内")
    for r, d in zip(rows, days_in(rng, period, len(rows)), strict=True):
        r["服务日期"] = d
    return rows


def township_rows(code: str, log: list[dict], period: Period) -> list[dict]:
    """The diverted station's township administrative work (乡镇行政事务): a four-hour
    half day each week from the period's start, a sixth of all its logged hours or more."""
    hours = sum(r["服务时数"] for r in log if r["站点编码"] == code)
    weeks = int(np.ceil(hours / 5 / 4))  # admin / (admin + services) ≥ 1/6
    days = [period.start + dt.timedelta(days=7 * w) for w in range(weeks)]
    return [
        {
            "站点编码": code,
            "服务日期": min(day, period.end).isoformat(),
            "服务类型": "乡镇行政事务",
            "个案/小组编号": "",
            "服务对象类别": "",
            "节次/跟进次数": 1,
            "参与人数": 0,
            "服务时数": 4.0,
            "服务地点": "乡镇机关",
        }
        for day in days
    ]


def months_due(period: Period) -> list[tuple[str, dt.date]]:
    out, y, m = [], period.start.year, period.start.month
    while True:
        ny, nm = y + (m == 12), m % 12 + 1
        due = dt.date(ny, nm, 10)
        if due > period.end:
            return out
        out.append((f"{y}-{m:02d}", due))
        y, m = ny, nm


REPORT_WORDS = {"quarterly": "季度报告", "midterm": "中期报告", "final": "末期报告"}


def scheduled_report_rows(code, contract: Contract, period: Period, unreported: bool) -> list[dict]:
    """The reports besides the monthly briefs that the contract asks for and that are due
    by the round's date, each submitted two days early; an unreported station leaves its
    first quarterly report out."""
    rows = []
    due = contract_reports_due(contract.report_schedule, contract.start, contract.end)
    quarters = 0
    for kind, label, day in due:
        if kind == "monthly" or day > period.end:
            continue
        if kind == "quarterly":
            quarters += 1
            if unreported and quarters == 1:
                continue
        rows.append(
            {
                "站点编码": code,
                "报告类型": REPORT_WORDS[kind],
                "报告期": label if kind == "quarterly" else str(day.year),
                "应交日期": day.isoformat(),
                "提交日期": (day - dt.timedelta(days=2)).isoformat(),
            }
        )
    return rows


def report_rows(code, rng, period: Period, weak: bool) -> list[dict]:
    rows = []
    for k, (month, due) in enumerate(months_due(period)):
        late = weak and k == 1
        sub = (
            due + dt.timedelta(days=4) if late else due - dt.timedelta(days=int(rng.integers(0, 6)))
        )
        rows.append(
            {
                "站点编码": code,
                "报告类型": "月度简报",
                "报告期": month,
                "应交日期": due.isoformat(),
                "提交日期": sub.isoformat(),
            }
        )
    return rows


def finance_rows(
    code, t: StationTargets, attain, rng, period: Period, elapsed: float
) -> list[dict]:
    budget_fen = int(t.amount_fen * elapsed * min(attain, 1.05))
    shares = {"人员经费": 0.62, "活动经费": 0.25, "培训督导": 0.05, "行政办公": 0.08}
    rows, k = [], 0
    for category, share in shares.items():
        total = int(budget_fen * share)
        parts = max(1, int(rng.integers(3, 8)))
        cuts = np.sort(rng.integers(1, total, parts - 1)) if parts > 1 else np.array([], dtype=int)
        for fen in np.diff(np.concatenate([[0], cuts, [total]])):
            k += 1
            rows.append(
                {
                    "日期": None,
                    "凭证号": f"记-{code[-2:]}{k:03d}",
                    "站点编码": code,
                    "支出类别": category,
                    "金额（元）": f"{int(fen) // 100}.{int(fen) % 100:02d}",
                    "凭证齐全": "是",
                }
            )
    for r, d in zip(rows, days_in(rng, period, len(rows)), strict=True):
        r["日期"] = d
    return rows


def volunteer_rows(code, t: StationTargets, attain, rng, elapsed: float) -> list[dict]:
    count = int(np.ceil(t.volunteers * min(attain, 1.1)))
    hours = t.volunteer_hours * elapsed * attain
    each = np.round(rng.dirichlet(np.ones(count)) * hours, 1)
    return [
        {
            "志愿者编号": f"{code}-V{k + 1:03d}",
            "站点编码": code,
            "已在全国志愿服务信息系统注册": "是",
            "志愿服务时数": float(each[k]),
            "加入日期": "2024-09-01",
        }
        for k in range(count)
    ] + [
        {
            "志愿者编号": f"{code}-V{count + 1:03d}",
            "站点编码": code,
            "已在全国志愿服务信息系统注册": "否",
            "志愿服务时数": 6.0,
            "加入日期": "",
        }
    ]


def survey_rows(code, quality, rng, period: Period) -> list[dict]:
    rows = []
    mean = 3.0 + 1.5 * min(1.0, 0.35 + 0.75 * quality)  # on the 1–5 scale

    def add(kind, channel, k):
        scores = np.clip(np.round(rng.normal(mean, 0.45, 5)), 1, 5).astype(int)
        knows = rng.random(5) < (0.55 + 0.4 * quality)
        rows.append(
            {
                "站点编码": code,
                "问卷编号": f"{code}-{_CODE[kind]}{_CODE[channel]}{k:03d}",
                "调查日期": None,
                "受访者类型": kind,
                "调查方式": channel,
                "总体满意度": int(scores[0]),
                "服务态度": int(scores[1]),
                "专业能力": int(scores[2]),
                "服务及时性": int(scores[3]),
                "服务效果": int(scores[4]),
                **{
                    h: ("是" if kn else "否")
                    for h, kn in zip(
                        (
                            "知晓站点地址",
                            "知晓服务内容",
                            "知晓驻站社工",
                            "知晓求助方式",
                            "知晓资金来源",
                        ),
                        knows,
                        strict=True,
                    )
                },
            }
        )

    for k in range(52):
        add("服务对象", "电话", k)
    for k in range(11):
        add("服务对象", "现场", k)
    for k in range(2):
        add("购买方", "现场", k)
    for k in range(4):
        add("村（居）委会", "现场", k)
    rows[0]["服务态度"] = rows[0]["专业能力"] = ""  # a response answering 3 of 5 items: not valid
    for r, d in zip(
        rows,
        days_in(
            rng,
            Period(max(period.start, period.end - dt.timedelta(days=30)), period.end),
            len(rows),
        ),
        strict=True,
    ):
        r["调查日期"] = d
    return rows
