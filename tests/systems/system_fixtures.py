"""The small indicator systems the systems tests share (one copy of their YAML).

``TINY`` is the minimal system of docs/indicator-systems.md: a family A with a checklist A1
(4 points) and a banded ratio A2 (6 points). ``TINY_WITH_RUBRIC`` splits A2's points with a
rubric leaf A3 (the system the hash tests vary).
"""

from __future__ import annotations

HEAD = """\
system:
  id: tiny
  version: "1"
  name: {zh: 示例, en: Tiny example}
  unit: station
  total_points: 10
grades:
  - {code: pass, zh: 合格, en: Pass, min: 6}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 行政合规, en: Compliance}
    points: 10
    children:
"""

RULES = """\
      - code: A1
        name: {zh: 制度, en: Rules}
        points: 4
        method: checklist
        items:
          - {code: a, text: 人员管理制度, points: 2}
          - {code: b, text: 财务管理制度, points: 2}
"""

BANDS = (
    "          - {min: 1.0, share: 1}\n",
    "          - {min: 0.8, share: 0.667}\n",
    "          - {min: 0.6, share: 0.333}\n",
)


def cases(points: int, bands: int) -> str:
    """The ratio leaf A2 (target 20) with ``points`` and its first ``bands`` bands."""
    return (
        "      - code: A2\n"
        "        name: {zh: 个案量, en: Cases}\n"
        f"        points: {points}\n"
        "        method: ratio\n"
        "        target: 20\n"
        "        bands:\n" + "".join(BANDS[:bands])
    )


LEVEL = """\
      - code: A3
        name: {zh: 程度, en: Level}
        points: 3
        method: rubric
        rubric: level-0-4
"""

TINY = HEAD + RULES + cases(6, 3)
TINY_WITH_RUBRIC = HEAD + RULES + cases(3, 2) + LEVEL
