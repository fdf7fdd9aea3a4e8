"""Satisfaction responses (满意度调查): one row per questionnaire."""

from __future__ import annotations

from evaluator.evidence.columns import Column
from evaluator.evidence.schema import Schema, all_or_none, opt, station


def _score(name: str, zh: str, en: str, required: bool = False, *aliases: str) -> Column:
    return Column(
        name,
        zh,
        en,
        "score",
        required,
        aliases=aliases,
        example="5",
        note_en="1 very dissatisfied … 5 very satisfied",
        note_zh="1 非常不满意 … 5 非常满意",
    )


def _knows(name: str, zh: str, en: str, *aliases: str) -> Column:
    return Column(name, zh, en, "boolean", aliases=aliases, example="是")


_AWARENESS = (
    _knows("knows_address", "知晓站点地址", "Knows the address", "知道站点地址"),
    _knows("knows_services", "知晓服务内容", "Knows the services", "知道服务内容"),
    _knows("knows_staff", "知晓驻站社工", "Knows the staff", "知道驻站社工"),
    _knows("knows_help", "知晓求助方式", "Knows how to seek help", "知道求助方式"),
    _knows("knows_funding", "知晓资金来源", "Knows the funding source", "知道资金来源"),
)

SATISFACTION = Schema(
    kind="satisfaction",
    zh="满意度调查",
    en="Satisfaction responses",
    sheet="满意度问卷",
    description_en="One row per valid questionnaire: scores 1–5 and the five awareness "
    "questions (aware = knows at least 3 of 5).",
    description_zh="每份有效问卷一行：1–5 分评分及 5 道知晓度题（知晓 = 至少知道 3 项）。",
    columns=(
        station(),
        Column(
            "response_id",
            "问卷编号",
            "Response ID",
            "code",
            aliases=("编号", "Questionnaire ID"),
            example="Q0001",
        ),
        Column(
            "survey_date",
            "调查日期",
            "Survey date",
            "date",
            aliases=("日期", "回访日期", "Date"),
            example="2025-11-20",
        ),
        Column(
            "respondent_type",
            "受访者类型",
            "Respondent type",
            "choice",
            True,
            aliases=("受访者", "调查对象", "Respondent"),
            options=(
                opt("user", "服务对象", "Service user", "居民", "服务使用者", "User"),
                opt("purchaser", "购买方", "Purchaser", "购买主体", "镇街政府", "民政局"),
                opt(
                    "community",
                    "村（居）委会",
                    "Community committee",
                    "村居委会",
                    "村委会",
                    "居委会",
                    "Community",
                ),
            ),
            example="服务对象",
        ),
        Column(
            "channel",
            "调查方式",
            "Channel",
            "choice",
            True,
            aliases=("方式", "回访方式", "Survey channel"),
            options=(
                opt("phone", "电话", "Phone", "电话回访", "电话访问"),
                opt("on_site", "现场", "On-site", "面访", "现场访问", "On site"),
            ),
            example="电话",
        ),
        Column(
            "client_type",
            "对象类别",
            "Client type",
            "choice",
            aliases=("服务对象类别",),
            options=(
                opt("priority", "重点对象", "Priority client", "重点"),
                opt("general", "一般对象", "General client", "一般"),
            ),
            example="重点对象",
        ),
        _score("overall", "总体满意度", "Overall satisfaction", True, "满意度", "Overall"),
        _score("attitude", "服务态度", "Attitude", False),
        _score("competence", "专业能力", "Competence", False, "专业水平"),
        _score("timeliness", "服务及时性", "Timeliness", False, "及时性"),
        _score("outcome", "服务效果", "Outcome", False, "效果"),
        *_AWARENESS,
    ),
    rules=(all_or_none(_AWARENESS, "awareness", "知晓度"),),
)
