"""The corpus of malformed indicator systems: each gives exactly its expected located problems.

Every ``tests/corpus/systems/*.yaml`` (except ``expected.yaml``) is a small system with one
or several defects; ``expected.yaml`` lists, per file, every problem the loader must report
(line, path, a fragment of the English text). A corpus file missing from ``expected.yaml``
fails, so the corpus cannot grow unchecked.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from evaluator.errors import Problem, SystemInvalid
from evaluator.systems import load_system

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "systems"
EXPECTED_FILE = CORPUS / "expected.yaml"
EXPECTED: dict[str, list[dict]] = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
CORPUS_FILES = sorted(p for p in CORPUS.glob("*.yaml") if p.name != EXPECTED_FILE.name)

EXPECTATION_KEYS = {"line", "path", "contains", "zh", "file", "xfail"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# pydantic's own English, or the loader's fallback for an unmapped pydantic error
RAW_PYDANTIC = re.compile(
    r"Input should|Value error|validation error|Keys should|Field required|Extra inputs"
)
# a pydantic union tag left in a path (tree[0].checklist.items)
UNION_TAG = re.compile(r"\]\.(group|checklist|ratio|rubric|likert|count|deduction|bonus)\.")
UNTRANSLATED = re.compile(r"\b(or|and)\b")


def _case(path: Path):
    expected = EXPECTED.get(path.name) if isinstance(EXPECTED, dict) else None
    reasons = [e["xfail"] for e in expected or [] if isinstance(e, dict) and e.get("xfail")]
    marks = [pytest.mark.xfail(reason="; ".join(reasons), strict=True)] if reasons else []
    return pytest.param(path, id=path.name, marks=marks)


def _show(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.line} {p.path or ''!r} | {p.en} | {p.zh} | {p.file}" for p in problems)


def _is_raw_yaml(problem: Problem) -> bool:
    return problem.en.startswith("YAML syntax error")


def _matches(problem: Problem, exp: dict, corpus_file: Path) -> bool:
    file_name = exp.get("file", corpus_file.name)
    return (
        problem.file is not None
        and Path(problem.file).name == file_name
        and problem.line == exp["line"]
        and (problem.path or "") == exp["path"]
        and exp["contains"] in problem.en
        and exp.get("zh", "") in problem.zh
    )


def test_expected_file_is_well_formed():
    assert isinstance(EXPECTED, dict), "expected.yaml must map file names to lists"
    for name, problems in EXPECTED.items():
        assert (CORPUS / name).is_file(), f"expected.yaml lists {name}, which is not in the corpus"
        assert isinstance(problems, list) and problems, (
            f"{name}: needs a non-empty list of problems"
        )
        for exp in problems:
            assert isinstance(exp, dict), f"{name}: {exp!r} is not a mapping"
            assert {"line", "path", "contains"} <= set(exp), (
                f"{name}: {exp} needs line, path, contains"
            )
            assert set(exp) <= EXPECTATION_KEYS, (
                f"{name}: unknown keys {set(exp) - EXPECTATION_KEYS}"
            )
            assert isinstance(exp["line"], int) and exp["line"] >= 1, f"{name}: bad line in {exp}"
            assert (
                isinstance(exp["path"], str)
                and isinstance(exp["contains"], str)
                and exp["contains"]
            )


def test_corpus_is_big_enough():
    assert len(CORPUS_FILES) >= 25


@pytest.mark.parametrize("path", [_case(p) for p in CORPUS_FILES])
def test_corpus_file(path: Path):
    assert path.name in EXPECTED, (
        f"{path.name} is not listed in {EXPECTED_FILE.name}; add its expected problems there"
    )
    expected = EXPECTED[path.name]

    with pytest.raises(SystemInvalid) as excinfo:
        load_system(path)
    problems = excinfo.value.problems
    shown = _show(problems)

    # every expected problem is there, each matched by a different reported problem
    unmatched = list(problems)
    for exp in expected:
        hit = next((p for p in unmatched if _matches(p, exp, path)), None)
        assert hit is not None, (
            f"{path.name}: expected problem not reported: {exp}\nreported:\n{shown}"
        )
        unmatched.remove(hit)
    assert len(problems) == len(expected), (
        f"{path.name}: {len(problems)} problems reported, {len(expected)} expected; "
        f"unexpected:\n{_show(unmatched)}"
    )
    assert not [c for c, n in Counter(map(str, problems)).items() if n > 1], f"duplicates:\n{shown}"

    for p in problems:
        # located: a file and a line, and the one-line form starts with them
        assert p.file and p.line is not None, f"unlocated problem: {p!r}"
        assert str(p).startswith(f"{p.file}:{p.line}"), str(p)
        # bilingual, and neither half is pydantic's raw text
        assert p.en.strip() and p.zh.strip(), f"empty text: {p!r}"
        assert p.zh != p.en and CJK.search(p.zh), f"zh is not Chinese: {p.zh!r}"
        assert not RAW_PYDANTIC.search(p.en), f"raw pydantic text: {p.en!r}"
        assert not p.zh.startswith("格式错误："), f"untranslated pydantic text: {p.zh!r}"
        if not _is_raw_yaml(p):
            assert not UNTRANSLATED.search(p.zh), f"English left in the Chinese text: {p.zh!r}"
        assert not UNION_TAG.search(p.path or ""), f"confusing path: {p.path!r}"
        assert "Traceback" not in p.en and "Traceback" not in p.zh


def test_corpus_files_name_their_defects():
    """Every corpus file but the empty one starts with a comment saying what is wrong."""
    for path in CORPUS_FILES:
        raw = path.read_bytes()
        if raw:
            assert raw.startswith(b"#"), f"{path.name}: start with a comment naming its defect(s)"
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.yaml", path.name), (
            f"{path.name}: name it NN-short-name.yaml"
        )


# -- the CLI ---------------------------------------------------------------------------------

CLI_CASES = [
    "09-children-sum.yaml",
    "41-several-defects.yaml",
    "02-empty.yaml",
    "39-gbk-encoded.yaml",
]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_check_system_reports_located_problems(name: str):
    pytest.importorskip("evaluator.cli", reason="evaluator/cli.py is not written yet")
    path = CORPUS / name
    proc = subprocess.run(
        [sys.executable, "-m", "evaluator", "check-system", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=REPO,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, f"exit code {proc.returncode}\n{output}"
    assert "Traceback" not in output, output
    for exp in EXPECTED[name]:
        assert f"{name}:{exp['line']}" in output, f"no {name}:{exp['line']} in\n{output}"
        assert exp["contains"] in output, output
