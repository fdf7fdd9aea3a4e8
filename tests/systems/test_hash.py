"""The content hash of an indicator system: taken over the canonical form, so layout, key
order, comments and explicit defaults do not change it; any number, name or rule does."""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest
from system_fixtures import TINY_WITH_RUBRIC

from evaluator.shipped import shipped_dir
from evaluator.systems import load_system, parse_system

BASE = TINY_WITH_RUBRIC

# The same system: block style instead of flow style, keys re-ordered, comments,
# integers written as floats, quoted strings, and defaults written out explicitly.
REFORMATTED = textwrap.dedent(
    """
    # A comment at the top
    tree:
      - name:
          en: Compliance
          zh: 行政合规
        code: A            # the family
        points: 10.0
        aggregation: arithmetic
        children:
          - method: checklist
            code: "A1"
            points: 4
            role: third_party
            evidence: []
            name: {en: Rules, zh: 制度}
            items:
              - points: 2.0
                text: 人员管理制度
                code: a
              - {text: 财务管理制度, code: b, points: 2}
          - code: A2
            name: {en: Cases, zh: 个案量}
            prorate: false
            method: ratio
            points: 3.00
            bands:
              - {share: 1.0, min: 1}
              - {share: 0.667, min: 0.80}
            target: 20.0
          - {code: A3, name: {zh: 程度, en: Level}, points: 3, method: rubric, rubric: level-0-4}
    grades:
      - {min: 6.0, code: pass, en: Pass, zh: 合格}
      - {zh: 不合格, min: 0, code: fail, en: Fail}
    missing: zero
    vetoes: []
    floors: []
    decimals: 2
    system:
      unit: station
      total_points: 10.0
      name: {en: Tiny example, zh: 示例}
      version: '1'
      id: tiny
    """
)

HASH_FORMAT = re.compile(r"sha256:[0-9a-f]{64}")


def h(text: str, **kw) -> str:
    return parse_system(text, "t.yaml", **kw).content_hash


def test_hash_format_and_summary():
    s = parse_system(BASE, "t.yaml")
    assert HASH_FORMAT.fullmatch(s.content_hash)
    assert s.summary()["hash"] == s.content_hash


def test_hash_is_deterministic_and_independent_of_the_file_name():
    assert h(BASE) == h(BASE) == parse_system(BASE, "other-name.yaml").content_hash


def test_hash_from_file_equals_hash_from_text(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_system(path).content_hash == h(BASE)
    # a BOM does not matter either
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_system(path).content_hash == h(BASE)


def test_hash_stable_across_reformatting_key_order_comments_and_explicit_defaults():
    assert h(REFORMATTED) == h(BASE)


@pytest.mark.parametrize(
    "edit",
    [
        ("total_points: 10\n", "total_points: 10\n  description: null\n"),
        ("        rubric: level-0-4\n", "        rubric: level-0-4\n        missing: null\n"),
        ("        target: 20\n", "        target: 20\n        linear: null\n"),
        ("tree:\n", "bonus_cap: null\nroles: null\ntree:\n"),
        ("    points: 10\n", "    points: 10  # ten\n"),
        ("          - {min: 1.0, share: 1}\n", "          - {min: 1.00, share: 1.0}\n"),
        ("        target: 20\n", "        target: 2.0e+1\n"),
    ],
    ids=[
        "null-description",
        "null-missing",
        "null-linear",
        "null-top-level",
        "comment",
        "decimals",
        "exponent",
    ],
)
def test_hash_stable_for_equivalent_spellings(edit):
    old, new = edit
    assert old in BASE
    assert h(BASE.replace(old, new, 1)) == h(BASE)


def with_likert(extra: str) -> str:
    """BASE with a likert leaf A4 (1 point, taken from A3) carrying ``extra`` keys."""
    text = BASE.replace(
        "        points: 3\n        method: rubric", "        points: 2\n        method: rubric"
    )
    assert text != BASE and text.endswith("        rubric: level-0-4\n")
    return (
        text
        + "      - {code: A4, name: {zh: 满意, en: Sat}, points: 1, method: likert"
        + extra
        + "}\n"
    )


def test_hash_stable_across_explicit_likert_and_linear_defaults():
    assert h(with_likert("")) == h(with_likert(", scale: [1, 5], below_min_n: zero, missing: null"))
    assert h(with_likert("")) != h(with_likert(", scale: [0, 5]"))
    bands = (
        "        bands:\n          - {min: 1.0, share: 1}\n          - {min: 0.8, share: 0.667}\n"
    )
    assert bands in BASE
    ratio_linear = BASE.replace(bands, "        linear: {}\n")
    assert h(ratio_linear) == h(ratio_linear.replace("linear: {}", "linear: {floor: 0, cap: 1}"))
    assert h(ratio_linear) != h(ratio_linear.replace("linear: {}", "linear: {floor: 0.1, cap: 1}"))


def test_hash_stable_when_the_default_likert_mapping_is_written():
    # regression: the canonical form kept mapping: null, so spelling the default changed the hash
    assert h(with_likert("")) == h(with_likert(", mapping: [[1, 0], [5, 1]]"))
    assert h(with_likert(", scale: [0, 10]")) == h(
        with_likert(", scale: [0, 10], mapping: [[0, 0], [10, 1]]")
    )
    assert h(with_likert("")) != h(with_likert(", mapping: [[1, 0], [4.5, 1]]"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # numbers
        ("        target: 20\n", "        target: 21\n"),
        ("{min: 0.8, share: 0.667}", "{min: 0.8, share: 0.67}"),
        ("{min: 0.8, share: 0.667}", "{min: 0.75, share: 0.667}"),
        ("min: 6}", "min: 6.5}"),
        (
            "{code: a, text: 人员管理制度, points: 2}\n          - {code: b, text: 财务管理制度, points: 2}",
            "{code: a, text: 人员管理制度, points: 1}\n          - {code: b, text: 财务管理制度, points: 3}",
        ),
        # names and texts
        ("name: {zh: 制度, en: Rules}", "name: {zh: 规章制度, en: Rules}"),
        ("name: {zh: 制度, en: Rules}", "name: {zh: 制度, en: Regulations}"),
        ("name: {zh: 示例, en: Tiny example}", "name: {zh: 示例, en: Tiny}"),
        ("text: 人员管理制度", "text: 人事管理制度"),
        ("{code: pass, zh: 合格, en: Pass, min: 6}", "{code: pass, zh: 及格, en: Pass, min: 6}"),
        ('version: "1"', 'version: "2"'),
        ("code: A2\n", "code: A2x\n"),
        # rules
        ("        target: 20\n", "        target: 20\n        prorate: true\n"),
        ("tree:\n", "missing: skip\ntree:\n"),
        ("tree:\n", "floors:\n  - {level: 1, below: 0.5, cap: fail}\ntree:\n"),
        ("tree:\n", "decimals: 1\ntree:\n"),
        ("        rubric: level-0-4\n", "        rubric: level-0-3\n"),
    ],
)
def test_hash_changes_with_any_number_name_or_rule(old, new):
    assert old in BASE, old
    changed = BASE.replace(old, new, 1)
    assert changed != BASE
    assert h(changed) != h(BASE)


def test_hash_changes_with_tree_order():
    swapped = BASE.replace(
        "          - {code: a, text: 人员管理制度, points: 2}\n          - {code: b, text: 财务管理制度, points: 2}\n",
        "          - {code: b, text: 财务管理制度, points: 2}\n          - {code: a, text: 人员管理制度, points: 2}\n",
    )
    assert swapped != BASE
    assert h(swapped) != h(BASE)


def test_hash_inlines_the_rubric_level_set(tmp_path):
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    source = shipped_dir("rubrics") / "level-0-4.yaml"
    shutil.copy(source, rubrics / "level-0-4.yaml")
    same = h(BASE, rubric_dirs=[rubrics])
    assert same == h(BASE)
    # the rubric file's comments do not count
    (rubrics / "level-0-4.yaml").write_text(
        "# another comment\n" + source.read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert h(BASE, rubric_dirs=[rubrics]) == same
    # one level's text does
    text = source.read_text(encoding="utf-8")
    assert "优秀/完整且有成效证据" in text
    (rubrics / "level-0-4.yaml").write_text(
        text.replace("优秀/完整且有成效证据", "优秀/完整"), encoding="utf-8"
    )
    assert h(BASE, rubric_dirs=[rubrics]) != same
    # and so does an explicit share
    (rubrics / "level-0-4.yaml").write_text(
        text.replace("en: Good / minor gaps}", "en: Good / minor gaps, share: 0.8}"),
        encoding="utf-8",
    )
    changed = parse_system(BASE, "t.yaml", rubric_dirs=[rubrics])
    assert changed.content_hash != same
    assert changed.rubric_levels(changed.nodes["A3"])[3].share == 0.8


def test_hash_of_inline_levels_changes_with_level_text():
    inline = BASE.replace(
        "        rubric: level-0-4\n",
        "        levels:\n"
        "          - {level: 0, zh: 缺失, en: Missing}\n"
        "          - {level: 2, zh: 优秀, en: Excellent}\n",
    )
    assert h(inline) != h(BASE)
    assert h(inline.replace("zh: 缺失", "zh: 无")) != h(inline)
    assert h(inline.replace("en: Excellent", "en: Great")) != h(inline)


def test_unused_rubric_sets_do_not_count(tmp_path):
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    shutil.copy(shipped_dir("rubrics") / "level-0-4.yaml", rubrics / "level-0-4.yaml")
    (rubrics / "other-set.yaml").write_text(
        "id: other-set\nname: {zh: 其他, en: Other}\nlevels:\n  - {level: 0, zh: 无, en: No}\n  - {level: 1, zh: 有, en: Yes}\n",
        encoding="utf-8",
    )
    assert h(BASE, rubric_dirs=[rubrics]) == h(BASE)


def test_shipped_systems_have_well_formed_distinct_hashes():
    hashes = {
        p.stem: load_system(p).content_hash
        for p in sorted(shipped_dir("indicators").glob("*.yaml"))
    }
    assert hashes, "no shipped systems found"
    assert all(HASH_FORMAT.fullmatch(v) for v in hashes.values())
    assert len(set(hashes.values())) == len(hashes)
