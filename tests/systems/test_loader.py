"""Loading valid indicator systems: shipped systems, weights, rubric lookup, summary, hash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from system_fixtures import TINY

from evaluator.errors import SystemInvalid
from evaluator.systems import load_system, parse_system

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "indicators").glob("*.yaml"))
DOC = REPO / "docs" / "indicator-systems.md"
HASH = re.compile(r"sha256:[0-9a-f]{64}")

MINIMAL = TINY  # the minimal system of the doc

HEAD = """\
system:
  id: weighted
  version: "1"
  name: {zh: 权重示例, en: Weighted example}
  unit: agency
  total_points: 20
grades:
  - {code: pass, zh: 合格, en: Pass, min: 12}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
"""

WEIGHTED = (
    HEAD
    + """\
tree:
  - code: A
    name: {zh: 甲, en: A}
    weight: 1
    children:
      - code: A1
        name: {zh: 甲一, en: A1}
        weight: 3
        method: deduction
        penalty: 0.5
      - code: A2
        name: {zh: 甲二, en: A2}
        weight: 1
        children:
          - code: A2.1
            name: {zh: 甲二一, en: A2.1}
            weight: 1
            method: rubric
            rubric: level-0-4
          - code: A2.2
            name: {zh: 甲二二, en: A2.2}
            weight: 4
            method: checklist
            items:
              - {code: a, text: 甲, points: 1}
              - {code: b, text: 乙, points: 3}
      - code: A3
        name: {zh: 加分, en: Bonus}
        method: bonus
        per_unit: 1
        cap: 2
  - code: B
    name: {zh: 乙, en: B}
    weight: 3
    children:
      - code: B1
        name: {zh: 乙一, en: B1}
        weight: 3
        method: ratio
        linear: {floor: 0, cap: 1}
      - code: B2
        name: {zh: 乙二, en: B2}
        weight: 2
        method: count
        steps:
          - {min: 2, share: 1}
          - {min: 1, share: 0.5}
"""
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- shipped systems -------------------------------------------------------------------------


@pytest.mark.skipif(not SHIPPED, reason="no shipped indicators/*.yaml")
@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_system_loads(path: Path):
    system = load_system(path)
    assert system.id == path.stem
    assert HASH.fullmatch(system.content_hash)
    assert system.source == str(path)
    assert system.leaves and system.families
    assert sum(f.points for f in system.families) == pytest.approx(system.total_points)
    for node in system.groups:
        kids = [system.nodes[c] for c in node.children if not system.nodes[c].is_bonus]
        assert sum(k.points for k in kids) == pytest.approx(node.points), node.code
    # loading twice gives the same system
    assert load_system(path).content_hash == system.content_hash


def test_minimal_system_of_the_doc_loads():
    if not DOC.is_file():
        pytest.skip("docs/indicator-systems.md not found")
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"## A minimal system\s+```yaml\n(.*?)```", text, re.S)
    assert block, "the doc lost its minimal system"
    system = parse_system(block.group(1), "doc.yaml")
    assert system.id == "tiny"
    assert parse_system(MINIMAL, "tiny.yaml").content_hash == system.content_hash


# -- weights ---------------------------------------------------------------------------------


def test_weights_become_points_parent_times_w_over_sum_w():
    system = parse_system(WEIGHTED, "weighted.yaml")
    points = {code: node.points for code, node in system.nodes.items()}
    # families: 20 × 1/4 and 20 × 3/4
    assert points["A"] == pytest.approx(5)
    assert points["B"] == pytest.approx(15)
    # A's children: 5 × 3/4, 5 × 1/4; the bonus leaf A3 takes no part in Σw
    assert points["A1"] == pytest.approx(3.75)
    assert points["A2"] == pytest.approx(1.25)
    assert points["A3"] == 0
    # two levels of weights: 1.25 × 1/5, 1.25 × 4/5
    assert points["A2.1"] == pytest.approx(0.25)
    assert points["A2.2"] == pytest.approx(1.0)
    # 15 × 3/5, 15 × 2/5
    assert points["B1"] == pytest.approx(9)
    assert points["B2"] == pytest.approx(6)
    assert [n.code for n in system.bonus_leaves] == ["A3"]
    assert system.bonus_cap == 2
    assert sum(n.points for n in system.leaves) == pytest.approx(20)


def test_weighted_checklist_items_are_relative():
    """Under weights, item points are relative: 1 + 3 need not equal the leaf's 1.0 points."""
    system = parse_system(WEIGHTED, "weighted.yaml")
    leaf = system.nodes["A2.2"]
    assert leaf.method == "checklist"
    assert [i.points for i in leaf.spec.items] == [1, 3]


# -- rubric lookup ---------------------------------------------------------------------------

LOCAL_RUBRIC = """\
id: local-0-2
name: {zh: 本地等级, en: Local levels}
levels:
  - {level: 0, zh: 无, en: None}
  - {level: 1, zh: 部分, en: Partly}
  - {level: 2, zh: 完整, en: Complete}
"""

USES_LOCAL = MINIMAL.replace(
    """        method: ratio
        target: 20
        bands:
          - {min: 1.0, share: 1}
          - {min: 0.8, share: 0.667}
          - {min: 0.6, share: 0.333}
""",
    """        method: rubric
        rubric: local-0-2
""",
)


def test_rubric_found_in_rubrics_dir_next_to_the_system(tmp_path: Path):
    _write(tmp_path / "rubrics" / "local-0-2.yaml", LOCAL_RUBRIC)
    system = load_system(_write(tmp_path / "mine.yaml", USES_LOCAL))
    assert set(system.rubrics) == {"local-0-2"}
    levels = system.rubric_levels(system.nodes["A2"])
    assert [lv.level for lv in levels] == [0, 1, 2]
    assert levels[2].en == "Complete"
    # the level set is inlined in the canonical form, so it is part of the hash
    assert system.canonical()["rubric_sets"]["local-0-2"]["levels"][1]["zh"] == "部分"


def test_rubric_found_in_rubrics_dir_beside_the_systems_dir(tmp_path: Path):
    """indicators/ and rubrics/ side by side, as in the repository."""
    _write(tmp_path / "rubrics" / "local-0-2.yaml", LOCAL_RUBRIC)
    system = load_system(_write(tmp_path / "indicators" / "mine.yaml", USES_LOCAL))
    assert set(system.rubrics) == {"local-0-2"}


def test_changing_a_used_rubric_set_changes_the_hash(tmp_path: Path):
    rubric = _write(tmp_path / "rubrics" / "local-0-2.yaml", LOCAL_RUBRIC)
    path = _write(tmp_path / "mine.yaml", USES_LOCAL)
    before = load_system(path).content_hash
    rubric.write_text(LOCAL_RUBRIC.replace("完整", "完整且有成效"), encoding="utf-8")
    assert load_system(path).content_hash != before


def test_rubric_without_its_dir_is_unknown(tmp_path: Path):
    path = _write(tmp_path / "mine.yaml", USES_LOCAL)
    with pytest.raises(SystemInvalid) as excinfo:
        load_system(path)
    [problem] = excinfo.value.problems
    assert "unknown rubric level set local-0-2" in problem.en
    assert problem.path == "tree[0].children[1].rubric"


def test_shipped_rubric_sets_are_found_from_anywhere(tmp_path: Path):
    text = USES_LOCAL.replace("rubric: local-0-2", "rubric: level-0-4")
    system = load_system(_write(tmp_path / "mine.yaml", text))
    assert [lv.level for lv in system.rubric_levels(system.nodes["A2"])] == [0, 1, 2, 3, 4]


# -- summary and hash ------------------------------------------------------------------------


def test_summary_fields():
    system = parse_system(MINIMAL, "tiny.yaml")
    summary = system.summary()
    assert summary == {
        "id": "tiny",
        "version": "1",
        "name_zh": "示例",
        "name_en": "Tiny example",
        "unit": "station",
        "depth": 2,
        "families": 1,
        "leaves": 2,
        "bonus_leaves": 0,
        "total_points": 10.0,
        "bonus_cap": 0,
        "grade_on": "total",
        "vetoes": 0,
        "methods": {"checklist": 1, "ratio": 1},
        "hash": system.content_hash,
    }
    assert HASH.fullmatch(summary["hash"])


def test_summary_of_weighted_system():
    summary = parse_system(WEIGHTED, "weighted.yaml").summary()
    assert summary["unit"] == "agency"
    assert summary["depth"] == 3
    assert summary["families"] == 2
    assert summary["leaves"] == 5
    assert summary["bonus_leaves"] == 1
    assert summary["bonus_cap"] == 2
    assert summary["methods"] == {
        "bonus": 1,
        "checklist": 1,
        "count": 1,
        "deduction": 1,
        "ratio": 1,
        "rubric": 1,
    }


def test_hash_ignores_layout_and_key_order_but_not_numbers():
    base = parse_system(MINIMAL, "a.yaml").content_hash
    relaid = "# a comment\n" + MINIMAL.replace(
        '  id: tiny\n  version: "1"\n', "  version: '1'   # quoted differently\n  id: tiny\n"
    ).replace("total_points: 10", "total_points: 10.0")
    assert parse_system(relaid, "b.yaml").content_hash == base
    changed = MINIMAL.replace("{min: 0.8, share: 0.667}", "{min: 0.8, share: 0.666}")
    assert parse_system(changed, "c.yaml").content_hash != base


def test_zero_points_leaf_is_rejected_as_the_doc_says():
    text = MINIMAL.replace("    points: 10\n", "    points: 4\n").replace(
        "total_points: 10", "total_points: 4"
    )
    text = text.replace("        points: 6\n", "        points: 0\n")
    with pytest.raises(SystemInvalid) as info:
        parse_system(text, "zero.yaml")
    assert any(
        p.path.endswith("children[1].points") and "greater than 0" in p.en
        for p in info.value.problems
    )
