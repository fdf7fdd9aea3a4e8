"""The text ``evaluator demo`` prints: a header, one line per station, agency means and
the explanation of the weakest station's worst leaves, in Chinese and English.

Columns are padded by display width (CJK characters take two cells) without wcwidth.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd

from evaluator import clock
from evaluator.decisions.recommend import OUTCOME_ZH
from evaluator.decisions.words import TRANCHE_ZH, TRIGGER_ZH, blocked_by_en, blocked_by_zh
from evaluator.demo.county import cast
from evaluator.demo.registers import round_date
from evaluator.demo.scoring import DemoReport

FLAG_LABELS = {
    "veto": "否决/veto",
    "floor": "封顶/capped",
    "insufficient_sample": "样本不足/thin sample",
    "missing": "缺项/missing",
    "skipped": "略过/skipped",
    "no_target": "合同无目标/no contract target",
}


def text_width(text: str) -> int:
    """Display width in terminal cells: East Asian wide and fullwidth characters count 2,
    combining marks 0."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - text_width(text))
    return fill + text if right else text + fill


NO_DEADLINE = {"observation": "— (observation 观察)", "termination": "— (immediate 立即)"}


def table(
    rows: list[list[str]], right: set[int], header_rows: int = 0, gap: str = "  "
) -> list[str]:
    """Rows of cells → padded lines; columns in ``right`` are right-aligned. A rule follows
    the header rows."""
    widths = [max(text_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        gap.join(
            pad(c, w, i in right) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    if header_rows:
        lines.insert(header_rows, gap.join("-" * w for w in widths))
    return lines


def num(x: float, decimals: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if float(x).is_integer() and abs(x) < 1e12:
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:.{decimals}f}"


def fixed(x: float, decimals: int = 2) -> str:
    return "—" if x is None or math.isnan(x) else f"{x:.{decimals}f}"


def _flags(report: DemoReport) -> dict[str, list[str]]:
    result = report.result
    flags = result.flags()
    summary = result.summary().set_index("unit")
    out: dict[str, list[str]] = {u: [] for u in result.units}
    for flag in ("veto", "insufficient_sample", "missing", "skipped"):
        rows = flags[flags["flag"] == flag]
        for unit, codes in rows.groupby("unit", sort=False)["code"]:
            out[unit].append(f"{FLAG_LABELS[flag]} {','.join(codes)}")
    floors = flags[flags["flag"] == "floor"].groupby("unit", sort=False)["code"]
    tripped = {unit: ",".join(codes) for unit, codes in floors}
    for unit in result.units:
        if bool(summary.loc[unit, "capped"]):
            out[unit].insert(0, f"{FLAG_LABELS['floor']} {tripped[unit]}")
    return out


def _header(report: DemoReport) -> list[str]:
    c, s = report.county, report.system
    b = c.bureau
    fen = sum(k.amount_fen for k in c.contracts)
    return [
        f"示范县 Demo county: {b.province}{b.city}{b.county} ({b.county_code}) · 购买方 purchaser {b.name} · seed {report.seed}",
        f"承接机构 agencies {len(c.agencies)} · 社工站 stations {len(c.stations)} · 合同 contracts {len(c.contracts)}, "
        f"合同总额 total ¥{fen // 100:,}.{fen % 100:02d}",
        f"指标体系 system: {s.id} {s.version} {s.name.zh} / {s.name.en} · {s.content_hash[:15]}…",
        f"中期评估 mid-term: 服务期已过 elapsed {report.elapsed:.0%}",
    ]


def _station_table(report: DemoReport) -> list[str]:
    county, result, system = report.county, report.result, report.system
    summary = result.summary().set_index("unit")
    families = [f for f in system.families if not f.is_bonus]
    flags = _flags(report)
    head_zh = [
        "站点",
        "乡镇",
        "机构",
        *[f.code for f in families],
        "基础分",
        "加分",
        "总分",
        "等级",
        "排名",
        "标记",
    ]
    head_en = [
        "Station",
        "Township",
        "Agency",
        *[f"/{num(f.points)}" for f in families],
        "Base",
        "Bonus",
        "Total",
        "Grade",
        "Rank",
        "Flags",
    ]
    rows = [head_zh, head_en]
    for st in county.stations:
        if st.code not in summary.index:
            continue
        r = summary.loc[st.code]
        rows.append(
            [
                st.code,
                st.township,
                county.agency(st.agency).short_name,
                *[fixed(r[f.code], 1) for f in families],
                fixed(r["base"]),
                fixed(r["bonus"]),
                fixed(r["total"]),
                f"{r['grade_zh']} {r['grade_en']}",
                str(int(r["rank"])),
                "; ".join(flags[st.code]),
            ]
        )
    n_fam = len(families)
    right = set(range(3, 3 + n_fam + 3)) | {3 + n_fam + 4}
    legend = " · ".join(f"{f.code} {f.name.zh} {f.name.en}" for f in families)
    return [*table(rows, right, header_rows=2), f"家族 Families: {legend}"]


def _agency_means(report: DemoReport) -> list[str]:
    county, result = report.county, report.result
    summary = result.summary().set_index("unit")
    grades = report.system.spec.grades
    rows = [["机构 Agency", "站数 Stations", "均分 Mean", "最低 Min", "等级分布 Grades"]]
    for ag in county.agencies:
        codes = [s.code for s in county.stations if s.agency == ag.code and s.code in summary.index]
        part = summary.loc[codes]
        counts = part["grade"].value_counts()
        dist = " ".join(f"{g.zh}{int(counts.get(g.code, 0))}" for g in grades)
        rows.append(
            [
                f"{ag.short_name} {ag.name} ({ag.grade})",
                str(len(codes)),
                num(part["total"].mean()),
                num(part["total"].min()),
                dist,
            ]
        )
    return ["机构均分 Agency means:", *table(rows, {1, 2, 3}, header_rows=1)]


def _measure(row: pd.Series) -> str:
    raw, basis, measure, method = row["raw"], row["basis"], row["measure"], row["method"]
    if isinstance(raw, float) and math.isnan(raw):
        return "无数据 no input"
    if method == "checklist":
        return f"达标 met {num(raw)} / {num(row['max_points'])} 分 pts of items"
    if method == "rubric":
        return f"等级 level {num(raw)}"
    if method == "likert":
        return f"均值 mean {num(raw)} (n={num(basis)})"
    if method == "deduction":
        return f"{num(raw)} 起 incidents"
    if not (isinstance(measure, float) and math.isnan(measure)) and not (
        isinstance(basis, float) and math.isnan(basis)
    ):
        return f"{num(raw)} / {num(basis)} = {num(measure)}"
    return f"值 value {num(raw)}"


def _explain_weakest(report: DemoReport, k: int = 3) -> list[str]:
    result = report.result
    weakest = str(result.total.idxmin())
    rows = result.explanation([weakest])
    rows = rows[rows["method"] != "bonus"].copy()
    rows["lost"] = rows["max_points"] - rows["points"].fillna(0.0)
    worst = rows.sort_values("lost", ascending=False, kind="stable").head(k)
    total = float(result.total[weakest])
    lines = [
        f"最弱站点 Weakest station {weakest} (总分 total {num(total)}): 失分最多的指标 leaves losing most points"
    ]
    for _, r in worst.iterrows():
        flag = f" [{FLAG_LABELS.get(r['flag'], r['flag'])}]" if r["flag"] else ""
        share = "—" if np.isnan(r["share"]) else f"{r['share']:.3f}"
        lines.append(
            f"  {r['leaf']} {r['name_zh']} {r['name_en']} ({r['method']}): {_measure(r)} → 得分率 share {share}"
            f" → {num(r['points'])} / {num(r['max_points'])} 分 points{flag}"
        )
    return lines


def register_finding(note: dict) -> str:
    """What a register showed for a measured leaf, in a few words (both languages)."""
    d, metric = note["detail"], note["metric"]
    if metric.startswith(("reports_on_time", "reports_scheduled")):
        late = f"; 迟交 late {', '.join(d['late'])}" if d["late"] else ""
        missing = f"; 未交 missing {', '.join(d['missing'])}" if d["missing"] else ""
        unlisted = (
            f" (未列入报告记录 not in the log: {', '.join(d['unlisted'])})"
            if d.get("unlisted")
            else ""
        )
        return f"按时 on time {d['on_time']} / 应交 due {d['due']}{late}{missing}{unlisted}"
    if metric == "qualified_share":
        overdue = (
            f"; 逾期未取证 past the deadline {', '.join(d['overdue'])}" if d["overdue"] else ""
        )
        return f"持证或在期限内 qualified or within deadline {d['on_duty'] - len(d['overdue'])} / 在岗 on duty {d['on_duty']}{overdue}"
    if metric in ("cases_qualified", "groups_qualified", "activities_qualified"):
        return f"合格 qualifying {d['qualified']} / 记录 recorded {d['recorded']}"
    if metric == "satisfaction_mean":
        ci = f", 95% CI {d['ci95'][0]:.2f}–{d['ci95'][1]:.2f}" if d["ci95"] else ""
        return f"有效 valid {d['valid']} (电话 phone {d['phone']}/{d['phone_quota']}, 现场 on site {d['on_site']}/{d['on_site_quota']}), 均值 mean {d['mean']}{ci}"
    value = note["value"]
    return f"值 value {num(value, 3) if value is not None else '—'}"


def _explain_flawed(report: DemoReport) -> list[str]:
    """The flawed station's register findings that cost points, leaf by leaf."""
    codes = [c for c in cast(report.county)["flawed"] if c in report.result.units]
    if not codes or not report.notes:
        return []
    station = codes[0]
    rows = report.result.explanation([station]).set_index("leaf")
    lines = [
        f"台账问题 Register findings at {station} (总分 total {num(float(report.result.total[station]))}): 由台账计算且失分的指标 measured leaves losing points"
    ]
    for (unit, leaf), note in sorted(report.notes.items()):
        r = rows.loc[leaf] if unit == station else None
        if (
            r is None
            or float(r["max_points"]) - float(0 if np.isnan(r["points"]) else r["points"]) < 1e-9
        ):
            continue
        flags = note["flags"] + (
            [r["flag"]] if r["flag"] and r["flag"] not in note["flags"] else []
        )
        flag = f" [{', '.join(FLAG_LABELS.get(f, f) for f in flags)}]" if flags else ""
        lines.append(
            f"  {leaf} {r['name_zh']} {r['name_en']}: {register_finding(note)} → {num(r['points'])} / {num(r['max_points'])} 分 points{flag}"
        )
    return lines


def _consequences(report: DemoReport) -> list[str]:
    """Findings, each contract's recommendation and its tranche table."""
    after = report.consequences
    if after is None:
        return []
    lines = [
        "偏差与整改 Findings (整改 correction · 暂缓 suspension · 停止 termination · 观察 observation), "
        "deadlines from each round's date; 暂定 provisional = counted on the law's holidays of a "
        "year the State Council has not scheduled yet:"
    ]
    rows = [["站点 Station", "规则 Rule", "严重程度 Severity", "期限 Deadline", "说明 Explanation"]]
    for f in after.findings:
        due = after.deadlines.get((f.unit, f.rule))
        when = due.on.isoformat() if due else NO_DEADLINE.get(f.severity, "—")
        if due is not None and due.provisional:
            when += " 暂定 provisional"
        rows.append([f.unit, f.rule, f.severity, when, f.zh])
    lines += table(rows, set(), header_rows=1)
    for contract in report.county.contracts:
        agency = report.county.agency(contract.agency)
        rec = after.recommendations[contract.code]
        lines += [
            "",
            f"{contract.code} {agency.short_name}: 建议 recommendation {OUTCOME_ZH[rec.outcome]} {rec.outcome}",
            f"  {rec.zh}",
            f"  {rec.en}",
        ]
        lines.append(
            f"  拨付 Tranches as of 截至 {max(round_date(contract, report.elapsed), clock.today())}:"
        )
        rows = [
            [
                "期次 Tranche",
                "比例 Share",
                "金额 Amount",
                "触发 Trigger",
                "状态 Status",
                "应付/拨付日 Due/paid",
                "受阻 Blocked by",
            ]
        ]
        for t in after.tranches[contract.code]:
            due = t.date_label()
            rows.append(
                [
                    t.code,
                    f"{t.share_bp / 100:g}%",
                    f"¥{t.amount_fen // 100:,}.{t.amount_fen % 100:02d}",
                    f"{t.trigger} {TRIGGER_ZH[t.trigger]}",
                    f"{t.status} {TRANCHE_ZH[t.status]}",
                    due,
                    "; ".join(f"{blocked_by_en(b)} {blocked_by_zh(b)}" for b in t.blocked_by)
                    or "none 无",
                ]
            )
        lines += ["  " + line for line in table(rows, {1, 2}, header_rows=1)]
        notes = {t.due_note for t in after.tranches[contract.code] if t.due_note}
        lines += [f"  说明 note: {n}" for n in sorted(notes)]
        lines += [
            f"  拨付申请 application: {t.code} applied 已申请 on {t.applied_on.isoformat()} "
            "with its vouchers 附凭证 (its due date counts from it 付款期限自申请之日起算)"
            for t in after.tranches[contract.code]
            if t.applied_on is not None and t.due_from == "application"
        ]
    return lines


def _robustness(report: DemoReport) -> list[str]:
    """Which grades and recommendations survive ±25% on the weights (1,000 samples)."""
    robust = report.consequences.robustness if report.consequences else None
    if robust is None:
        return []
    s = robust.settings
    lines = [
        f"稳健性 Robustness to the weights ({s.samples:,} weightings, ±{s.spread:.0%} on families and indicators, seed {s.seed}; fragile 不稳健 = P > {s.fragile:.0%}):"
    ]
    moved = sorted((u for u in robust.units if u["grade_flip"] > 0), key=lambda u: -u["grade_flip"])
    fragile = [u["unit"] for u in moved if u["fragile"]]
    lines.append(f"  fragile stations 不稳健站点: {', '.join(fragile) if fragile else 'none 无'}")
    for u in moved:
        drivers = ", ".join(f"{d['weight']} ρ {d['rho']:+.2f}" for d in u["drivers"])
        lines.append(
            f"  {u['unit']} {u['grade']}: P(grade changes 等级改变) {u['grade_flip']:.1%}, total 总分 {u['total']:.2f} [90%: {u['total_p5']:.2f}–{u['total_p95']:.2f}]; driven by 驱动权重 {drivers}"
        )
    for g in robust.groups:
        lines.append(
            f"  {g['group']}: recommendation 建议 {g['recommendation']} changes in 改变概率 {g['flip']:.1%} of weightings{' — FRAGILE 不稳健' if g['fragile'] else ''}"
        )
    c = robust.cohort
    lines.append(
        f"  mean rank shift 平均名次变动 {c['mean_rank_shift']['mean']:.2f}; Spearman ρ 与名义排名相关 {c['spearman']['median']:.3f}"
    )
    return lines


def format_demo(report: DemoReport) -> str:
    """The demo's printed text (Chinese and English labels), lines joined by newlines."""
    parts = [
        *_header(report),
        "",
        *_station_table(report),
        "",
        *_agency_means(report),
        "",
        *_explain_weakest(report),
    ]
    flawed = _explain_flawed(report)
    if flawed:
        parts += ["", *flawed]
    after = _consequences(report)
    if after:
        parts += ["", *after]
    robust = _robustness(report)
    if robust:
        parts += ["", *robust]
    return "\n".join(parts)
