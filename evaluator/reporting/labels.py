"""The Chinese words of the codes reports show (states, kinds, sources), in one place; the
decisions' own words (severities, outcomes) come from the decisions."""

from __future__ import annotations

from evaluator.decisions.deviations import SEVERITY_ZH
from evaluator.decisions.recommend import OUTCOME_ZH

STATE_ZH = {
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
    "due": "应付",
    "withheld": "暂缓",
    "released": "已拨付",
    "forfeited": "不再支付",
}
SOURCE_ZH = {"raters": "评估员评分", "register": "台账计算", "appeal": "申诉核定"}
KIND_ZH = {"mid_term": "中期评估", "final": "末期评估", "spot_check": "抽查", "annual": "年度评估"}
ROUND_STATE_ZH = {
    "draft": "草稿",
    "open": "评分中",
    "submitted": "待审定",
    "approved": "已审定",
    "reopened": "重新开启",
}
GRADE_ON_ZH = {"total": "总分", "base": "基础分"}
EVIDENCE_ZH = {
    "none": "无",
    "pending": "待审",
    "accepted": "已采信",
    "rejected": "不采信",
    "insufficient": "不充分",
}

__all__ = [
    "EVIDENCE_ZH",
    "KIND_ZH",
    "OUTCOME_ZH",
    "ROUND_STATE_ZH",
    "SEVERITY_ZH",
    "SOURCE_ZH",
    "STATE_ZH",
    "TRANCHE_ZH",
]
