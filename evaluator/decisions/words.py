"""The Chinese (and plain English) words of every code a person reads: finding states,
tranche statuses and triggers, round kinds and states, register versions, evidence reviews,
severities, outcomes. Codes stay codes in the API's fields; every Chinese sentence says
the word (tests/decisions/test_words.py checks that no Chinese text shows a code)."""

from __future__ import annotations

from evaluator.decisions.deviations import SEVERITY_ZH
from evaluator.decisions.recommend import OUTCOME_ZH

FINDING_STATE_ZH = {
    "open": "待整改",
    "plan_submitted": "已提交方案",
    "evidence_submitted": "已提交佐证",
    "closed": "已关闭",
    "rejected": "已退回",
    "overdue": "逾期",
    "escalated": "已升级",
}
TRANCHE_ZH = {
    "scheduled": "未到期",
    "awaiting_application": "待申请",
    "due": "应付",
    "withheld": "暂缓",
    "released": "已拨付",
    "forfeited": "不再支付",
}
# a payment application (拨付申请) of the agency, and the kinds of voucher (凭证) it cites
APPLICATION_ZH = {
    "submitted": "已申请",
    "released": "已拨付",
    "returned": "已退回",
    "withdrawn": "已撤回",
}
VOUCHER_ZH = {
    "invoice": "发票",
    "evaluation_result": "评估结果",
    "staff_roster": "人员名册",
    "service_report": "服务报告",
    "expense_statement": "经费支出明细",
    "contract": "合同文本",
    "other": "其他凭证",
}
TRIGGER_ZH = {
    "signed": "合同生效",
    "mid_term_passed": "中期评估通过",
    "final_passed": "末期评估通过",
}
TRIGGER_EN = {
    "signed": "signing",
    "mid_term_passed": "mid-term passed",
    "final_passed": "final passed",
}
ROUND_KIND_ZH = {
    "mid_term": "中期评估",
    "final": "末期评估",
    "spot_check": "抽查",
    "annual": "年度评估",
}
ROUND_STATE_ZH = {
    "draft": "草稿",
    "open": "评分中",
    "submitted": "待审定",
    "approved": "已审定",
    "reopened": "重新开启",
}
REGISTER_VERSION_ZH = {
    "in_force": "生效",
    "replaced": "已被替换",
    "pending": "待确认",
    "rejected": "已退回",
    "rectification": "整改佐证",
}
EVIDENCE_ZH = {
    "none": "无",
    "pending": "待审",
    "accepted": "已采信",
    "rejected": "不采信",
    "insufficient": "不充分",
}
REPORT_KIND_ZH = {
    "monthly": "月度工作简报",
    "quarterly": "季度报告",
    "midterm": "中期报告",
    "final": "末期报告",
    "other": "其他报告",
}
REPORT_KIND_EN = {
    "monthly": "Monthly work brief",
    "quarterly": "Quarterly report",
    "midterm": "Mid-term report",
    "final": "Final report",
    "other": "Other report",
}
# the roles of the authorisation matrix (docs/security.md)
ROLE_ZH = {
    "admin": "系统管理员",
    "bureau_officer": "民政部门工作人员",
    "evaluator": "评估员",
    "lead_evaluator": "主评估员",
    "agency_user": "承接机构人员",
    "auditor": "审计员",
    "township_official": "乡镇（街道）工作人员",
}
SOURCE_ZH = {"raters": "评估员评分", "register": "台账计算", "appeal": "申诉核定"}
GRADE_ON_ZH = {"total": "总分", "base": "基础分"}


def blocked_by_words(code: str) -> tuple[str, str]:
    """A tranche's blocking condition in English and in Chinese: ``mid_term_passed:failed``
    (its trigger round failed) or ``suspension V1 @ ST01`` (an open finding of that
    severity); anything else as it is."""
    if code.endswith(":failed"):
        trigger = code.removesuffix(":failed")
        return (
            f"{TRIGGER_EN.get(trigger, trigger).removesuffix(' passed')} not passed",
            f"{TRIGGER_ZH.get(trigger, trigger).removesuffix('通过')}未通过",
        )
    severity, _, rest = code.partition(" ")
    rule, _, unit = rest.partition(" @ ")
    if severity not in SEVERITY_ZH or not unit:
        return code, code
    return (
        f"open {severity} finding {rule} at {unit}",
        f"{unit} 未结的{SEVERITY_ZH[severity]}问题（{rule}）",
    )


def blocked_by_en(code: str) -> str:
    return blocked_by_words(code)[0]


def blocked_by_zh(code: str) -> str:
    return blocked_by_words(code)[1]


__all__ = [
    "APPLICATION_ZH",
    "EVIDENCE_ZH",
    "FINDING_STATE_ZH",
    "GRADE_ON_ZH",
    "OUTCOME_ZH",
    "REGISTER_VERSION_ZH",
    "REPORT_KIND_EN",
    "REPORT_KIND_ZH",
    "ROLE_ZH",
    "ROUND_KIND_ZH",
    "ROUND_STATE_ZH",
    "SEVERITY_ZH",
    "SOURCE_ZH",
    "TRANCHE_ZH",
    "TRIGGER_EN",
    "TRIGGER_ZH",
    "VOUCHER_ZH",
    "blocked_by_en",
    "blocked_by_words",
    "blocked_by_zh",
]
