"""The volunteer register (志愿者名册): one row per volunteer."""

from __future__ import annotations

from evaluator.evidence.columns import Column
from evaluator.evidence.schema import Schema, station, unique

_VOLUNTEER = Column(
    "volunteer_id",
    "志愿者编号",
    "Volunteer ID",
    "code",
    True,
    aliases=("编号", "志愿者代码"),
    example="V0001",
    note_en="unique within the file",
    note_zh="文件内不重复",
)

VOLUNTEERS = Schema(
    kind="volunteers",
    zh="志愿者名册",
    en="Volunteer register",
    sheet="志愿者名册",
    description_en="One row per volunteer, with the hours recorded in the period.",
    description_zh="每名志愿者一行，含本期记录的服务时数。",
    columns=(
        _VOLUNTEER,
        Column("name", "姓名", "Name", "text", aliases=("名字",), example="李四"),
        station(),
        Column(
            "registered",
            "已在全国志愿服务信息系统注册",
            "Registered in national system",
            "boolean",
            True,
            aliases=("系统注册", "是否注册", "已注册", "Registered"),
            example="是",
            note_en="registered in the national volunteer service information system",
            note_zh="是否已在全国志愿服务信息系统注册",
        ),
        Column(
            "hours",
            "志愿服务时数",
            "Volunteer hours",
            "decimal",
            True,
            aliases=("服务时数", "时长", "志愿时长", "Hours"),
            minimum=0,
            maximum=10000,
            example="36.5",
        ),
        Column(
            "joined_date",
            "加入日期",
            "Joined date",
            "date",
            aliases=("登记日期", "加入时间", "Joined"),
            example="2024-09-01",
        ),
    ),
    rules=(unique(_VOLUNTEER),),
)
