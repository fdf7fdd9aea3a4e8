"""The staff roster (人员名册): one row per social worker."""

from __future__ import annotations

from evaluator.evidence.columns import Column
from evaluator.evidence.schema import Schema, given_unless, not_before, opt, station, unique

_PERSON = Column(
    "person_id",
    "人员编号",
    "Person ID",
    "code",
    True,
    aliases=("工号", "员工编号", "社工编号", "Staff ID"),
    example="P001",
    note_en="unique within the file",
    note_zh="文件内不重复",
)
_HIRE = Column(
    "hire_date",
    "入职日期",
    "Hire date",
    "date",
    True,
    aliases=("到岗日期", "入职时间"),
    example="2024-03-01",
)
_LEAVE = Column(
    "leave_date",
    "离职日期",
    "Leave date",
    "date",
    aliases=("离岗日期", "离职时间"),
    example="2025-06-30",
    note_en="empty while still employed",
    note_zh="在职者留空",
)
_QUAL = Column(
    "qualification",
    "职业资格等级",
    "Qualification level",
    "choice",
    True,
    aliases=("资格等级", "职业资格", "持证情况", "Qualification"),
    options=(
        opt("none", "无", "No qualification", "None", "未取得", "无证", "未持证"),
        opt("assistant", "助理社会工作师", "Assistant social worker", "初级", "助理社工师"),
        opt("intermediate", "社会工作师", "Social worker", "中级", "社工师"),
        opt("senior", "高级社会工作师", "Senior social worker", "高级", "高级社工师"),
    ),
    example="社会工作师",
    note_en="national social worker qualification",
    note_zh="全国社会工作者职业资格",
)
_QUAL_DATE = Column(
    "qualification_date",
    "取得资格日期",
    "Qualification date",
    "date",
    aliases=("取证日期", "取得证书日期", "发证日期"),
    example="2023-11-05",
    note_en="required unless the level is 无 (none)",
    note_zh="资格等级为“无”时留空，否则必填",
)

STAFF = Schema(
    kind="staff",
    zh="人员名册",
    en="Staff roster",
    sheet="人员名册",
    description_en="One row per social worker who served the contract in the period, "
    "including those who left.",
    description_zh="每名在合同期内服务过的社工一行（含已离职人员）。",
    columns=(
        _PERSON,
        Column("name", "姓名", "Name", "text", aliases=("名字",), example="张三"),
        station(),
        _HIRE,
        _LEAVE,
        Column(
            "full_time",
            "是否专职",
            "Full-time",
            "boolean",
            True,
            aliases=("专职", "专职人员", "是否全职", "Full time"),
            example="是",
        ),
        _QUAL,
        _QUAL_DATE,
        Column(
            "birth_year",
            "出生年份",
            "Birth year",
            "integer",
            aliases=("出生年",),
            minimum=1930,
            maximum=2015,
            example="1990",
        ),
        Column(
            "training_hours",
            "培训时数",
            "Training hours",
            "decimal",
            aliases=("年度培训时数", "继续教育时数", "培训学时"),
            minimum=0,
            maximum=2000,
            example="64",
            note_en="continuing education in the period, hours",
            note_zh="本期继续教育时数（小时）",
        ),
        Column(
            "position",
            "岗位",
            "Position",
            "choice",
            aliases=("职务", "岗位类别", "Role"),
            options=(
                opt("supervisor", "督导", "Supervisor", "站点督导", "专业督导", "站长兼督导"),
                opt("worker", "社工", "Social worker", "一线社工", "专职社工"),
            ),
            example="社工",
            note_en="empty means a social worker; the supervisor owes the intermediate qualification",
            note_zh="留空视为一线社工；督导须持中级（社会工作师）及以上资格",
        ),
        Column(
            "relevant_degree",
            "社会工作相关专业学历",
            "Relevant degree",
            "boolean",
            aliases=("相关专业学历", "社工专业学历", "Degree"),
            example="否",
            note_en="a degree in social work or a related subject (some provinces count it as qualified)",
            note_zh="社会工作或相关专业学历（部分省份视同持证）",
        ),
        Column(
            "supervision_hours",
            "督导时数",
            "Supervision hours",
            "decimal",
            aliases=("接受督导时数", "督导学时"),
            minimum=0,
            maximum=2000,
            example="12",
            note_en="supervision received in the period, hours",
            note_zh="本期接受督导时数（小时）",
        ),
    ),
    rules=(not_before(_LEAVE, _HIRE), given_unless(_QUAL_DATE, _QUAL, "none"), unique(_PERSON)),
)
