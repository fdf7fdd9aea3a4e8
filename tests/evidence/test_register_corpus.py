"""The corpus of broken register files: each gives exactly its expected located problems.

Every file in ``tests/corpus/registers/`` (written by ``make_corpus.py``) is listed in
``expected.yaml`` with the register kind to parse it as and either every problem it must
give, in order (sheet, row and column exactly; fragments of the English and Chinese text),
or ``valid: true`` with its data rows and warnings. A corpus file missing from
``expected.yaml`` fails, so the corpus cannot grow unchecked; so does a corpus that
``make_corpus.py`` no longer reproduces byte for byte.
"""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
from pathlib import Path

import pytest
import yaml

from evaluator.errors import InvalidInput, Problem
from evaluator.evidence.parse import parse_register
from evaluator.evidence.registers import REGISTERS

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "registers"
EXPECTED_FILE = CORPUS / "expected.yaml"
SCRIPT = CORPUS / "make_corpus.py"
EXPECTED: dict[str, dict] = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8"))
CORPUS_FILES = sorted(
    p for p in CORPUS.iterdir() if p.is_file() and p not in (EXPECTED_FILE, SCRIPT)
)

ENTRY_KEYS = {
    "purpose",
    "kind",
    "sheet",
    "env",
    "valid",
    "rows",
    "warnings",
    "problems",
    "count",
    "last",
}
PROBLEM_KEYS = {"sheet", "row", "column", "contains", "zh"}


def _show(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.sheet!r} {p.row!r} {p.column!r} | {p.en} | {p.zh}" for p in problems)


def _matches(problem: Problem, exp: dict, name: str) -> bool:
    return (
        problem.file == name
        and problem.sheet == exp.get("sheet")
        and problem.row == exp.get("row")
        and problem.column == exp.get("column")
        and exp["contains"] in problem.en
        and exp.get("zh", "") in problem.zh
    )


def _parse(path: Path, entry: dict, monkeypatch):
    for key, value in (entry.get("env") or {}).items():
        monkeypatch.setenv(key, str(value))
    return parse_register(entry["kind"], path, entry.get("sheet"))


def test_the_corpus_is_large_enough():
    broken = [n for n, e in EXPECTED.items() if not e.get("valid")]
    assert len(broken) >= 22, f"only {len(broken)} broken files"


def test_expected_file_is_well_formed():
    assert isinstance(EXPECTED, dict)
    for name, entry in EXPECTED.items():
        assert (CORPUS / name).is_file(), f"expected.yaml lists {name}, which is not in the corpus"
        assert set(entry) <= ENTRY_KEYS, f"{name}: unknown keys {set(entry) - ENTRY_KEYS}"
        assert entry.get("kind") in REGISTERS, f"{name}: kind must be one of {list(REGISTERS)}"
        assert entry.get("purpose"), f"{name}: say what the file tests (purpose)"
        if entry.get("valid"):
            assert "problems" not in entry and isinstance(entry.get("rows"), list), name
        else:
            assert entry.get("problems"), f"{name}: needs valid: true or a list of problems"
        for exp in [
            *entry.get("problems", []),
            *entry.get("warnings", []),
            *([entry["last"]] if "last" in entry else []),
        ]:
            assert set(exp) <= PROBLEM_KEYS and "contains" in exp, f"{name}: bad expectation {exp}"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file(path: Path, monkeypatch):
    assert path.name in EXPECTED, f"{path.name} is in the corpus but not in expected.yaml"
    entry = EXPECTED[path.name]
    if entry.get("valid"):
        register = _parse(path, entry, monkeypatch)
        assert [int(r) for r in register.rows] == entry["rows"]
        warnings = list(register.warnings)
        expected = entry.get("warnings", [])
        assert len(warnings) == len(expected), _show(warnings)
        for got, exp in zip(warnings, expected, strict=True):
            assert _matches(got, exp, path.name), f"{exp}\ngot:\n{_show([got])}"
        return
    with pytest.raises(InvalidInput) as excinfo:
        _parse(path, entry, monkeypatch)
    problems = excinfo.value.problems
    expected = entry["problems"]
    count = entry.get("count", len(expected))
    assert len(problems) == count, f"{len(problems)} problems, expected {count}:\n{_show(problems)}"
    for got, exp in zip(problems, expected, strict=False):
        assert _matches(got, exp, path.name), (
            f"expected {exp}\ngot:\n{_show([got])}\nall:\n{_show(problems)}"
        )
    if "last" in entry:
        assert _matches(problems[-1], entry["last"], path.name), _show(problems[-1:])
    for p in problems:
        assert p.file == path.name, f"not located in the file: {p}"
        assert p.en and p.zh and p.en != p.zh


def test_make_corpus_reproduces_the_committed_files(tmp_path):
    """The generator is the source of truth: running it again changes no byte."""
    work = tmp_path / "registers"
    work.mkdir()
    shutil.copy(SCRIPT, work / SCRIPT.name)
    shutil.copy(EXPECTED_FILE, work / EXPECTED_FILE.name)
    shutil.copy(CORPUS.parent / "reproducible.py", tmp_path / "reproducible.py")
    spec = importlib.util.spec_from_file_location("make_register_corpus", work / SCRIPT.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build()
    made = sorted(p.name for p in work.iterdir() if p.name not in (SCRIPT.name, EXPECTED_FILE.name))
    assert made == [p.name for p in CORPUS_FILES]
    _, mismatch, errors = filecmp.cmpfiles(CORPUS, work, made, shallow=False)
    assert not mismatch and not errors, f"regenerate the corpus: {mismatch or errors}"
