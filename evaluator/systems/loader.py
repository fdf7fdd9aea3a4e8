"""Loading indicator systems and rubric level sets from YAML, with every error located."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from evaluator.errors import Problem, SystemInvalid
from evaluator.shipped import shipped_dir
from evaluator.systems.messages import pydantic_problems
from evaluator.systems.model import IndicatorSystem, build_system
from evaluator.systems.rules import check_rules
from evaluator.systems.schema import Group, RubricLeaf, RubricSet, SystemSpec
from evaluator.systems.yamlsrc import Located, parse_yaml

MAX_BYTES = 5 * 1024 * 1024


def read_text(path: Path, shown: str) -> str:
    """Read a UTF-8 YAML file, turning I/O and decoding failures into located problems."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SystemInvalid([Problem("file not found", "文件不存在", file=shown)]) from None
    except OSError as exc:
        raise SystemInvalid(
            [
                Problem(
                    f"cannot read the file: {exc.strerror}",
                    f"无法读取文件：{exc.strerror}",
                    file=shown,
                )
            ]
        ) from None
    if len(raw) > MAX_BYTES:
        raise SystemInvalid(
            [Problem(f"file is larger than {MAX_BYTES // 1024 // 1024} MB", "文件过大", file=shown)]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SystemInvalid(
            [
                Problem(
                    "the file is not UTF-8 text; save it as UTF-8",
                    "文件不是 UTF-8 文本，请另存为 UTF-8",
                    file=shown,
                    line=line,
                )
            ]
        ) from None


class RubricLibrary:
    """Rubric level sets found in directories, by id (= file stem), loaded on demand."""

    def __init__(self, dirs: Iterable[Path]):
        self.files: dict[str, Path] = {}
        for d in dirs:
            if d.is_dir():
                for f in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")):
                    self.files.setdefault(f.stem, f)
        self._cache: dict[str, RubricSet] = {}

    @property
    def ids(self) -> set[str]:
        return set(self.files)

    def get(self, rubric_id: str) -> RubricSet:
        if rubric_id not in self._cache:
            self._cache[rubric_id] = load_rubric_set(self.files[rubric_id])
        return self._cache[rubric_id]


def load_rubric_set(path: Path) -> RubricSet:
    doc = parse_yaml(read_text(path, str(path)), str(path))
    if doc.problems:
        raise SystemInvalid(doc.problems)
    try:
        rubric = RubricSet.model_validate(doc.data)
    except ValidationError as exc:
        raise SystemInvalid(pydantic_problems(exc, doc)) from None
    if rubric.id != path.stem:
        raise SystemInvalid(
            [
                doc.problem(
                    ("id",),
                    f"id {rubric.id} differs from the file name {path.stem}",
                    f"id {rubric.id} 与文件名 {path.stem} 不一致",
                )
            ]
        )
    return rubric


def default_rubric_dirs(base: Path | None) -> list[Path]:
    dirs = []
    if base is not None:
        dirs += [base / "rubrics", base.parent / "rubrics"]
    dirs.append(shipped_dir("rubrics"))
    return dirs


def load_system(path: str | Path, rubric_dirs: Iterable[Path] = ()) -> IndicatorSystem:
    """Load and validate one indicator system file; raise SystemInvalid with every problem."""
    path = Path(path)
    shown = str(path)
    text = read_text(path, shown)
    return parse_system(text, shown, rubric_dirs=[*rubric_dirs, *default_rubric_dirs(path.parent)])


def parse_system(
    text: str, file: str = "<system>", rubric_dirs: Iterable[Path] | None = None
) -> IndicatorSystem:
    """Validate a system given as YAML text. Rubric sets are looked up in ``rubric_dirs``
    (default: the shipped rubrics/)."""
    library = RubricLibrary(rubric_dirs if rubric_dirs is not None else default_rubric_dirs(None))
    doc = parse_yaml(text, file)
    return validate_document(doc, library)


def validate_document(doc: Located, library: RubricLibrary) -> IndicatorSystem:
    problems = list(doc.problems) + check_rules(doc, library.ids)
    spec: SystemSpec | None = None
    if not isinstance(doc.data, dict):
        problems.append(
            doc.problem(
                (),
                "an indicator system must be a mapping with system, grades and tree",
                "指标体系须为包含 system、grades、tree 的映射",
            )
        )
    else:
        try:
            spec = SystemSpec.model_validate(doc.data)
        except ValidationError as exc:
            # a value the parser refused already (.inf, 400 digits) is not named twice
            said = {p.path for p in doc.problems}
            problems += [p for p in pydantic_problems(exc, doc) if p.path not in said]
    rubrics = {}
    if spec is not None:
        for rid in sorted(_rubric_ids(spec)):
            if rid in library.ids:
                try:
                    rubrics[rid] = library.get(rid)
                except SystemInvalid as exc:
                    problems += exc.problems
    if problems or spec is None:  # no spec without a problem saying why
        raise SystemInvalid(_ordered(problems))
    return build_system(spec, rubrics, source=doc.file)


def _rubric_ids(spec: SystemSpec) -> set[str]:
    found: set[str] = set()
    stack = list(spec.tree)
    while stack:
        node = stack.pop()
        if isinstance(node, Group) and node.children:
            stack.extend(node.children)
        elif isinstance(node, RubricLeaf) and node.rubric:
            found.add(node.rubric)
    return found


def _ordered(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file or "", p.line or 0, p.path or ""))
