"""``docs/metrics.md``, generated from the metric definitions (kept true by a drift test)."""

from __future__ import annotations

from evaluator.evidence.metrics import CONTRACT_FIELDS, METRICS, RESULTS_KIND, TARGET_KEYS
from evaluator.evidence.registers import REGISTERS

INTRO = """# Metrics: leaves computed from registers (台账指标)

*Generated from `evaluator/evidence/metrics/` by `python -m evaluator.evidence.make_docs`;
do not edit by hand.*

A leaf of an indicator system may name a **metric** in its `measure` key; the metric's value
is then computed from the round's registers (see [registers.md](registers.md)) instead of
being typed in by evaluators. Only the metrics below exist: a system names one and may set
the parameters it declares, nothing else; no expression or code is ever read from a file.

```yaml
- code: C1.2
  points: 3
  method: ratio
  prorate: true                      # mid-term: the target × the share of the year elapsed
  measure:
    metric: cases_qualified          # a name from the table below
    params: {min_followups: 6}       # only the parameters the metric declares
    target: contract.targets.cases   # a positive number, or a contract field (below)
  bands: [{min: 1.0, share: 1}, {min: 0.8, share: 0.667}, {min: 0.6, share: 0.333}]
```

## How a round uses them

- **Period.** A round reads its registers for the contract year up to the round's date:
  from the contract's start to the earlier of the round's `as_of` and the contract's end.
  Rows dated outside it are not counted (stock registers such as the staff roster are read
  as of the period's days, see each metric).
- **When.** Metric values are computed once, when a register is imported, for every station
  of the round, and kept with that register version; a scorecard reads them, never the file.
- **Which value wins.** A leaf with a `measure` takes its value from the register of the
  metric's kind once that register is imported in the round; until then (or in a county that
  keeps paper registers only) evaluators' scores for the leaf count as for any other leaf.
- **Targets.** `target` in `measure` is a number or a contract field, resolved per station:
  `contract.targets.<key>` reads the station's contract targets (an agency round's unit,
  the agency, has its stations' targets summed: the contract's whole budget),
  `contract.staffing_min` the contract's minimum. A leaf's own `target` works as always; give a target once. A
  contract that does not give the named target leaves the leaf unscored and flagged
  `no_target`. Pro-rating at mid-term is the leaf's `prorate`, as for typed-in targets.
- **The contract's report schedule.** The reports a contract asks for (its
  `report_schedule`: monthly briefs, quarterly, mid-term and final reports, each with how
  its due dates are set; the default where it gives none — docs/decisions.md) reach the
  report-log metrics with the period, as every (kind, period, due date) of the contract
  year. `reports_scheduled_on_time_share` counts each one due in the period, matched with
  the log's rows of its kind and period (the mid-term and final report by kind alone),
  the station's own or a contract-level row, the earliest submission counting against the
  schedule's due date (the rows' own due dates are not read). A report due but not in the
  log is missing (named `unlisted` too); rows the schedule does not ask for neither count
  nor cost (named `unscheduled`). Since the values are kept with the import, the schedule
  is locked once a report log of the contract is imported.
- **Undefined values.** A share of nothing (no service hours, no reports due, no valid
  survey responses) has no value: the leaf's missing rule applies, and the scorecard says why.
- **Sample size.** Only a likert leaf uses `n` (the valid responses); below the leaf's
  `min_n` its `below_min_n` rule applies. A satisfaction quota not met flags the leaf
  `insufficient_sample` on the scorecard whatever its score: never a silent number.
- **Contract-level rows.** In the report log and the finance ledger a row without a station
  belongs to the whole contract and counts for each of its stations. An agency round reads
  the registers of its contract's stations as one: every station's rows and the
  contract-level rows, summed for the agency (a row naming a station outside the contract
  is refused at import).
- **Explanations.** Each measured leaf on a scorecard carries `source: register`, the metric,
  its parameters, the value, `n`, the target and where it came from, the figures behind the
  value (`detail`: e.g. which report was late, whose qualification is overdue, how many
  groups qualified of those recorded, the survey's channels against their quotas and its 95%
  interval) and its flags.

## Contract targets a measure may name

| target | meaning |
|---|---|
"""

RESULTS_HEADING = (
    f"### From the stations' approved results (社工站已审定评估结果, `{RESULTS_KIND}`)"
)
RESULTS_INTRO = """Not a register anyone imports: an agency-scored round (`unit: agency`; a station
system may not name these metrics) reads the approved results of its **contract's own
evaluation of its stations** (mid-term, final or annual; never a spot check): the latest
such round evaluated on or before the agency round's date. The rows are that round's
**approval snapshot**, never a recomputation: its snapshot in force (its latest approval;
a station round reopened for an appeal counts with it until approved again) while the
agency round is not approved; once it is, the snapshot that was in force at the agency
round's approval — a station round reopened or approved again later changes nothing in it,
and a rescore after an upheld appeal on the agency round reads what the approval read.
Until a station round of the contract is approved the leaves keep the evaluators' values.
A station **passes** when its grade is above its system's lowest (合格及以上) and no veto
is confirmed; scores are compared as points of 100 of the station system's total. The
scorecard's explanation (`source: results`) names the round, its snapshot and every
station's approved total, grade, vetoes and pass, and the agency scorecard repeats them
as its `portfolio`."""


def metrics_markdown() -> str:
    lines = [INTRO.rstrip("\n")]
    for key, (zh, en) in TARGET_KEYS.items():
        lines.append(f"| `contract.targets.{key}` | {en}（{zh}） |")
    for key, (zh, en) in CONTRACT_FIELDS.items():
        lines.append(f"| `{key}` | {en}（{zh}） |")
    lines += ["", "## The metrics", ""]
    sources = [
        (kind, f"### From the {spec.en.lower()} ({spec.zh}, `{kind}`)")
        for kind, spec in REGISTERS.items()
    ]
    sources.append((RESULTS_KIND, RESULTS_HEADING))
    for kind, heading in sources:
        metrics = [m for m in METRICS.values() if m.kind == kind]
        if not metrics:
            continue
        lines += [heading, ""]
        if kind == RESULTS_KIND:
            lines += [RESULTS_INTRO, ""]
        for m in metrics:
            unit = f" · unit: {m.unit_en}（{m.unit_zh}）" if m.unit_en else ""
            share = (
                ""
                if m.targets
                else " · compare with a constant target only"
                if m.unit_en
                else " · a share (0–1): compare with a constant target only"
            )
            lines += [
                f"#### `{m.name}`: {m.en}（{m.zh}）",
                "",
                f"- **Formula:** {m.formula_en}.",
                f"- **公式：** {m.formula_zh}。",
                f"- **Fills:** {', '.join(m.methods)} leaves{unit}{share}.",
            ]
            if m.params:
                lines.append("- **Parameters:**")
                for p in m.params:
                    allowed = (
                        f" one of {', '.join(p.choices)}"
                        if p.choices
                        else (f" ≥ {p.minimum:g}" if p.minimum is not None else "")
                    )
                    lines.append(
                        f"  - `{p.name}` (default `{p.default}`{';' if allowed else ''}{allowed}): {p.en}（{p.zh}）"
                    )
            lines.append("")
    lines += [
        "## Satisfaction statistics",
        "",
        "- A response is **valid** when at least `min_answered` (80%) of the five items are answered.",
        "- A respondent's score is the mean of the items they answered; the station's **mean** is",
        "  the mean of its valid respondents' scores.",
        "- The **95% confidence interval** is mean ± t(0.975, n − 1) · s / √n, s the sample standard",
        "  deviation; t is computed exactly (Student's t for whole degrees of freedom, up to 200;",
        "  the Cornish–Fisher expansion beyond, error below 1e-9). No interval below 2 responses.",
        "- The **quota** is checked per channel on valid responses: service users 50 by phone and 10",
        "  on site by default (after Guangzhou practice), purchasers and community committees none",
        "  (the leaf's `min_n` applies); set `phone_quota` / `on_site_quota` to change it.",
        "- **Awareness**: a respondent is aware when they know at least `min_known` (3) of the five",
        "  facts (address, services, staff, how to seek help, funding source); the rate is over",
        "  valid respondents who answered the awareness questions.",
        "",
    ]
    return "\n".join(lines)
