"""The finance ledger (财务台账): one row per expenditure."""

from __future__ import annotations

from evaluator.evidence.columns import Column
from evaluator.evidence.schema import Schema, opt, station

FINANCE = Schema(
    kind="finance",
    zh="财务台账",
    en="Finance ledger",
    event_date="date",
    sheet="财务台账",
    description_en="One row per expenditure from the project account (专账).",
    description_zh="项目专账的每笔支出一行。",
    columns=(
        Column(
            "date",
            "日期",
            "Date",
            "date",
            True,
            aliases=("记账日期", "支出日期", "凭证日期"),
            example="2025-03-05",
        ),
        Column(
            "voucher",
            "凭证号",
            "Voucher no.",
            "text",
            aliases=("凭证编号", "凭证字号", "Voucher"),
            example="记-012",
        ),
        station(required=False),
        Column(
            "category",
            "支出类别",
            "Category",
            "choice",
            True,
            aliases=("类别", "费用类别", "科目"),
            options=(
                opt("personnel", "人员经费", "Personnel", "人员费用", "工资", "人员"),
                opt("activity", "活动经费", "Activities", "活动费用", "项目活动", "活动"),
                opt("training", "培训督导", "Training and supervision", "培训费", "督导费"),
                opt("admin", "行政办公", "Administration", "办公费", "管理费", "行政"),
                opt("equipment", "设备物资", "Equipment and supplies", "设备", "物资"),
                opt("other", "其他", "Other"),
            ),
            example="活动经费",
        ),
        Column(
            "amount",
            "金额（元）",
            "Amount (yuan)",
            "money",
            True,
            aliases=("金额", "支出金额", "金额/元", "Amount", "Amount (CNY)"),
            minimum=1,
            example="1,234.56",
            note_en="stored exactly in fen (分)",
            note_zh="按分精确保存",
        ),
        Column(
            "voucher_complete",
            "凭证齐全",
            "Voucher complete",
            "boolean",
            True,
            aliases=("票据齐全", "凭证是否齐全", "附件齐全"),
            example="是",
        ),
        Column("summary", "摘要", "Description", "text", aliases=("用途", "说明", "Summary")),
    ),
)
