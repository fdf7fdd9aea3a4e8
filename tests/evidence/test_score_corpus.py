"""The corpus of score-input tables (the long table `evaluator score --input` reads): each
file gives exactly its expected located problems, or — valid — the expected totals, against
``tests/corpus/scores/system.yaml``. The same reading rules as registers (issue 18): an
encoding hint, separators detected, invisible characters, percentages and units named,
hidden sheets, formulas and merged cells refused, infinite and overflowing numbers at their
cell. A file missing from ``expected.yaml`` fails; so does a corpus ``make_corpus.py`` no
longer reproduces byte for byte."""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
from pathlib import Path

import pytest
import yaml

from evaluator.engine import score
from evaluator.errors import EvaluatorError, Problem
from evaluator.evidence.raw import read_raw_inputs
from evaluator.systems import load_system

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "scores"
EXPECTED: dict[str, dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
OWN = {"make_corpus.py", "expected.yaml", "system.yaml"}
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name not in OWN)
SYSTEM = load_system(CORPUS / "system.yaml")


def _show(problems: list[Problem]) -> str:
    return "\n".join(f"  {p.sheet!r} {p.row!r} {p.column!r} | {p.en} | {p.zh}" for p in problems)


def test_the_corpus_is_large_enough_and_listed():
    assert len(FILES) >= 24 and sorted(EXPECTED) == [p.name for p in FILES]
    print(f"\nscore-input corpus: {len(FILES)} files")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file(path: Path):
    entry = EXPECTED[path.name]
    if entry.get("valid"):
        frame, locate = read_raw_inputs(path)
        totals = score(SYSTEM, frame, locate=locate).total
        assert {k: round(float(v), 2) for k, v in totals.items()} == entry["totals"]
        return
    with pytest.raises(EvaluatorError) as excinfo:
        frame, locate = read_raw_inputs(path)
        score(SYSTEM, frame, locate=locate)
    problems = excinfo.value.problems
    expected = entry["problems"]
    assert len(problems) == len(expected), _show(problems)
    for got, exp in zip(problems, expected, strict=True):
        assert (
            got.sheet == exp.get("sheet")
            and got.row == exp.get("row")
            and got.column == exp.get("column")
            and exp["contains"] in got.en
            and exp["zh"] in got.zh
        ), f"expected {exp}\ngot:\n{_show([got])}"
        assert got.en != got.zh


def test_make_corpus_reproduces_the_committed_files(tmp_path):
    work = tmp_path / "scores"
    work.mkdir()
    for name in OWN:
        shutil.copy(CORPUS / name, work / name)
    shutil.copy(CORPUS.parent / "reproducible.py", tmp_path / "reproducible.py")
    spec = importlib.util.spec_from_file_location("make_score_corpus", work / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build()
    made = sorted(p.name for p in work.iterdir() if p.name not in OWN)
    assert made == [p.name for p in FILES]
    _, mismatch, errors = filecmp.cmpfiles(CORPUS, work, made, shallow=False)
    assert not mismatch and not errors, f"regenerate the corpus: {mismatch or errors}"
