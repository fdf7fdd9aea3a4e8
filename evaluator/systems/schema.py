"""The indicator-system language as pydantic v2 models (see docs/indicator-systems.md).

Structure and per-method parameters are checked here; rules that span the tree (points
sums, unique codes, references) are checked in :mod:`evaluator.systems.rules`.
Custom checks raise :func:`bad` so that each message carries English and Chinese.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SEP = "\x1f"  # separates the English and Chinese halves of a custom message
AT = "\x1e"  # ends the optional key a custom message is about (``items\x1e…``)

Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=40)]
Share = Annotated[float, Field(ge=0, le=1)]
MissingRule = Literal["zero", "skip", "error"]
ZeroTargetRule = Literal["zero", "skip", "error"]
GradeOn = Literal["base", "total"]
ReconcileRule = Literal["trimmed", "mean", "median"]  # several raters' values → one
METHODS = ("checklist", "ratio", "rubric", "likert", "count", "deduction", "bonus")


def bad(en: str, zh: str, at: str | None = None) -> ValueError:
    """A validation error with both languages (split again when reported); ``at`` names
    the key of the model the problem is about, so that it is located there."""
    return ValueError(f"{at + AT if at else ''}{en}{SEP}{zh}")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Text(Spec):
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class Meta(Spec):
    id: Code
    version: Annotated[str, Field(min_length=1)]
    name: Text
    unit: Literal["station", "agency"]
    total_points: Annotated[float, Field(gt=0)] = 100.0
    description: Text | None = None
    basis: str | None = None


class NodeBase(Spec):
    code: Code
    name: Text
    points: Annotated[float, Field(gt=0)] | None = None
    weight: Annotated[float, Field(gt=0)] | None = None
    basis: str | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _points_or_weight(self) -> Self:
        if self.points is not None and self.weight is not None:
            raise bad("give either points or weight, not both", "分值与权重只能给出其一")
        if self.points is None and self.weight is None:
            raise bad("points or weight is required", "缺少分值或权重")
        return self


class Measure(Spec):
    """Where a leaf's value comes from when computed from registers: a named metric of the
    library, its declared parameters, and optionally a target (a positive number, or a
    contract field such as ``contract.targets.cases``). Checked in
    :mod:`evaluator.systems.measures`."""

    metric: Annotated[str, Field(min_length=1, max_length=60)]
    target: (
        Annotated[float, Field(gt=0)] | Annotated[str, Field(min_length=1, max_length=80)] | None
    ) = None
    params: dict[str, float | int | str] = {}


class LeafBase(NodeBase):
    evidence: list[str] = []
    role: str = "third_party"
    veto: str | None = None
    missing: MissingRule | None = None
    measure: Measure | None = None
    reconcile: ReconcileRule | None = None  # default: the system's ``reconcile``


class ChecklistItem(Spec):
    code: Code
    text: Annotated[str, Field(min_length=1)]
    points: Annotated[float, Field(ge=0)]


class ChecklistLeaf(LeafBase):
    method: Literal["checklist"]
    items: Annotated[list[ChecklistItem], Field(min_length=1)]

    @model_validator(mode="after")
    def _items(self) -> Self:
        codes = [i.code for i in self.items]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise bad(
                f"item codes repeat: {', '.join(dupes)}",
                f"子项编码重复：{'、'.join(dupes)}",
                at="items",
            )
        if sum(i.points for i in self.items) <= 0:
            raise bad("checklist items' points sum to 0", "清单子项分值合计为 0", at="items")
        return self


class Band(Spec):
    min: Annotated[float, Field(ge=0)]
    share: Share


def _decreasing(rows: list[Any], what_en: str, what_zh: str) -> None:
    mins = [r.min for r in rows]
    if any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
        raise bad(
            f"{what_en} must be listed by strictly decreasing min, got {mins}",
            f"{what_zh}须按 min 严格递减排列，实际为 {mins}",
            at=what_en,
        )


class Linear(Spec):
    floor: Annotated[float, Field(ge=0)] = 0.0
    cap: Annotated[float, Field(gt=0)] = 1.0

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.cap <= self.floor:
            raise bad(
                f"linear cap ({self.cap}) must be above floor ({self.floor})",
                f"线性计分的上限（{self.cap}）须大于下限（{self.floor}）",
                at="cap",
            )
        return self


class Targeted(LeafBase):
    target: Annotated[float, Field(gt=0)] | None = None
    prorate: bool = False
    zero_target: ZeroTargetRule | None = None  # default: the system's ``zero_target``


class RatioLeaf(Targeted):
    method: Literal["ratio"]
    bands: Annotated[list[Band], Field(min_length=1)] | None = None
    linear: Linear | None = None

    @model_validator(mode="after")
    def _one_scale(self) -> Self:
        if (self.bands is None) == (self.linear is None):
            raise bad(
                "a ratio leaf needs exactly one of bands and linear",
                "达成率指标须且仅须给出 bands 或 linear 之一",
            )
        if self.bands is not None:
            _decreasing(self.bands, "bands", "分档")
        return self


class RubricLevel(Spec):
    level: Annotated[int, Field(ge=0)]
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]
    share: Share | None = None


def check_levels(levels: list[RubricLevel]) -> None:
    numbers = [lv.level for lv in levels]
    if len(set(numbers)) != len(numbers):
        raise bad(f"rubric levels repeat: {numbers}", f"等级重复：{numbers}", at="levels")
    if numbers != sorted(numbers):
        raise bad(
            f"rubric levels must be in increasing order, got {numbers}",
            f"等级须按升序排列，实际为 {numbers}",
            at="levels",
        )
    if max(numbers) == 0 and all(lv.share is None for lv in levels):
        raise bad("a rubric needs a level above 0", "等级集须包含大于 0 的等级", at="levels")


class RubricLeaf(LeafBase):
    method: Literal["rubric"]
    rubric: Code | None = None
    levels: Annotated[list[RubricLevel], Field(min_length=2)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.rubric is None) == (self.levels is None):
            raise bad(
                "a rubric leaf needs exactly one of rubric and levels",
                "程度分指标须且仅须给出 rubric 或 levels 之一",
            )
        if self.levels is not None:
            check_levels(self.levels)
        return self


class RubricSet(Spec):
    """A shipped or user-supplied rubric level set (rubrics/*.yaml)."""

    id: Code
    name: Text
    levels: Annotated[list[RubricLevel], Field(min_length=2)]

    @model_validator(mode="after")
    def _levels(self) -> Self:
        check_levels(self.levels)
        return self


class LikertLeaf(LeafBase):
    method: Literal["likert"]
    scale: Annotated[list[float], Field(min_length=2, max_length=2)] = [1.0, 5.0]
    mapping: (
        Annotated[
            list[Annotated[list[float], Field(min_length=2, max_length=2)]], Field(min_length=2)
        ]
        | None
    ) = None
    min_n: Annotated[int, Field(ge=1)] | None = None
    below_min_n: Literal["zero", "skip", "score"] = "zero"

    @model_validator(mode="before")
    @classmethod
    def _default_mapping(cls, data: Any) -> Any:
        """No mapping means the straight line over the scale, written out so that the
        canonical form (and the hash) is the same whether or not a file spells it out."""
        if isinstance(data, dict) and data.get("mapping") is None:
            scale = data.get("scale", [1.0, 5.0])
            if (
                isinstance(scale, list)
                and len(scale) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in scale)
            ):
                data = {**data, "mapping": [[float(scale[0]), 0.0], [float(scale[1]), 1.0]]}
        return data

    @model_validator(mode="after")
    def _mapping(self) -> Self:
        lo, hi = self.scale
        if hi <= lo:
            raise bad(
                f"scale {self.scale} must go from low to high",
                f"量表 {self.scale} 须由低到高",
                at="scale",
            )
        if self.mapping is not None:
            xs = [p[0] for p in self.mapping]
            if any(a >= b for a, b in zip(xs, xs[1:], strict=False)):
                raise bad(
                    f"mapping breakpoints must increase, got {xs}",
                    f"映射断点须递增，实际为 {xs}",
                    at="mapping",
                )
            if xs[0] < lo or xs[-1] > hi:
                raise bad(
                    f"mapping breakpoints {xs} leave the scale {self.scale}",
                    f"映射断点 {xs} 超出量表 {self.scale}",
                    at="mapping",
                )
            if any(not 0 <= p[1] <= 1 for p in self.mapping):
                raise bad(
                    "mapping shares must be within 0 and 1",
                    "映射得分率须在 0 与 1 之间",
                    at="mapping",
                )
        return self

    @property
    def breakpoints(self) -> list[list[float]]:
        return (
            self.mapping
            if self.mapping is not None
            else [[self.scale[0], 0.0], [self.scale[1], 1.0]]
        )  # noqa: E501 - only when scale was invalid


class Step(Spec):
    min: float
    share: Share


class CountLeaf(Targeted):
    method: Literal["count"]
    steps: Annotated[list[Step], Field(min_length=1)]
    per_target: bool = False

    @model_validator(mode="after")
    def _steps(self) -> Self:
        _decreasing(self.steps, "steps", "阈值档")
        if (self.target is not None or self.prorate) and not self.per_target:
            raise bad(
                "target and prorate need per_target: true",
                "target 与 prorate 仅在 per_target: true 时有效",
                at="target" if self.target is not None else "prorate",
            )
        if self.zero_target is not None and not self.per_target:
            raise bad(
                "zero_target needs per_target: true (a plain count has no target)",
                "zero_target 仅在 per_target: true 时有效（普通计数没有目标值）",
                at="zero_target",
            )
        return self


class DeductionLeaf(LeafBase):
    method: Literal["deduction"]
    penalty: Annotated[float, Field(gt=0)]


class BonusLeaf(NodeBase):
    method: Literal["bonus"]
    per_unit: Annotated[float, Field(gt=0)]
    cap: Annotated[float, Field(gt=0)]
    evidence: list[str] = []
    role: str = "third_party"
    measure: Measure | None = None

    @model_validator(mode="after")
    def _points_or_weight(self) -> Self:  # overrides NodeBase: bonus sits outside the base points
        if self.points is not None or self.weight is not None:
            raise bad(
                "a bonus leaf has cap and per_unit, not points or weight",
                "加分项以 cap 与 per_unit 计分，不设分值或权重",
                at="points" if self.points is not None else "weight",
            )
        return self


class Group(NodeBase):
    children: Annotated[list[Node], Field(min_length=1)]
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    method: None = None


def _node_kind(value: Any) -> str | None:
    if not isinstance(value, dict) and not isinstance(value, BaseModel):
        return "group"  # reported by the Group model as "must be a mapping"
    if isinstance(value, dict):
        if "children" in value:
            return "group"
        method = value.get("method")
        return method if isinstance(method, str) else None
    return getattr(value, "method", None) or ("group" if hasattr(value, "children") else None)


Leaf = ChecklistLeaf | RatioLeaf | RubricLeaf | LikertLeaf | CountLeaf | DeductionLeaf | BonusLeaf
Node = Annotated[
    Annotated[Group, Tag("group")]
    | Annotated[ChecklistLeaf, Tag("checklist")]
    | Annotated[RatioLeaf, Tag("ratio")]
    | Annotated[RubricLeaf, Tag("rubric")]
    | Annotated[LikertLeaf, Tag("likert")]
    | Annotated[CountLeaf, Tag("count")]
    | Annotated[DeductionLeaf, Tag("deduction")]
    | Annotated[BonusLeaf, Tag("bonus")],
    Discriminator(_node_kind),
]
NODE_TAGS = frozenset({"group", *METHODS})


class Grade(Spec):
    code: Code
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]
    min: Annotated[float, Field(ge=0)]


class Veto(Spec):
    code: Code
    name: Text
    basis: str | None = None


class Floor(Spec):
    level: Annotated[int, Field(ge=1)] | None = None
    nodes: Annotated[list[str], Field(min_length=1)] | None = None
    below: Annotated[float, Field(gt=0, le=1)]
    cap: str

    @model_validator(mode="after")
    def _target(self) -> Self:
        if (self.level is None) == (self.nodes is None):
            raise bad(
                "a floor needs exactly one of level and nodes",
                "底线规则须且仅须给出 level 或 nodes 之一",
            )
        return self


SEVERITIES = ("observation", "correction", "suspension", "termination")
Severity = Literal["observation", "correction", "suspension", "termination"]
FLAGS = ("insufficient_sample", "missing", "no_target")


class When(Spec):
    """The condition of a deviation rule: exactly one of ``below`` (node shares),
    ``attainment_below`` (ratio leaves' value ÷ target), ``total_below``, ``flag``, ``veto``."""

    nodes: Annotated[list[str], Field(min_length=1)] | None = None
    level: Annotated[int, Field(ge=1)] | None = None
    below: Annotated[float, Field(gt=0, le=1)] | None = None
    attainment_below: Annotated[float, Field(gt=0)] | None = None
    total_below: Annotated[float, Field(gt=0)] | None = None
    flag: Literal["insufficient_sample", "missing", "no_target"] | None = None
    veto: Literal["any"] | Annotated[list[str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        given = [
            k
            for k in ("below", "attainment_below", "total_below", "flag", "veto")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise bad(
                "a deviation condition needs exactly one of below, attainment_below, total_below, flag and veto",
                "偏差条件须且仅须给出 below、attainment_below、total_below、flag、veto 之一",
            )
        kind = given[0]
        if self.nodes is not None and self.level is not None:
            raise bad("give nodes or level, not both", "nodes 与 level 只能给出其一", at="level")
        if kind == "below" and self.nodes is None and self.level is None:
            raise bad("below needs nodes or level", "below 须配合 nodes 或 level", at="below")
        if kind == "attainment_below" and self.nodes is None:
            raise bad(
                "attainment_below needs nodes (ratio leaves)",
                "attainment_below 须配合 nodes（达成率指标）",
                at="attainment_below",
            )
        if kind in ("total_below", "veto") and (self.nodes is not None or self.level is not None):
            raise bad(f"{kind} takes no nodes or level", f"{kind} 不接受 nodes 或 level", at=kind)
        if kind == "flag" and self.level is not None:
            raise bad(
                "flag takes nodes (leaves), not level",
                "flag 只接受 nodes（末级指标），不接受 level",
                at="level",
            )
        return self

    @property
    def kind(self) -> str:
        return next(
            k
            for k in ("below", "attainment_below", "total_below", "flag", "veto")
            if getattr(self, k) is not None
        )


class Deviation(Spec):
    """A deviation rule: when its condition holds for a unit, a finding of ``severity`` is
    opened (see docs/decisions.md)."""

    code: Code
    name: Text
    when: When
    severity: Severity
    deadline_working_days: Annotated[int, Field(ge=1, le=250)] | None = None
    escalate_to: Severity | None = None
    basis: str | None = None

    @model_validator(mode="after")
    def _severity(self) -> Self:
        if self.escalate_to is not None and SEVERITIES.index(self.escalate_to) <= SEVERITIES.index(
            self.severity
        ):
            raise bad(
                f"escalate_to must be more severe than {self.severity}",
                f"escalate_to 须比 {self.severity} 更严重",
                at="escalate_to",
            )
        if (
            self.severity in ("observation", "termination")
            and self.deadline_working_days is not None
        ):
            raise bad(
                f"an {self.severity} has no deadline",
                f"{'观察' if self.severity == 'observation' else '终止'}类偏差没有整改期限",
                at="deadline_working_days",
            )
        return self

    @property
    def deadline(self) -> int | None:
        """Working days to correct: as given, 20 by default for corrections and suspensions."""
        if self.severity in ("correction", "suspension"):
            return self.deadline_working_days or 20
        return None

    @property
    def escalation(self) -> str | None:
        """The severity an overdue finding escalates to (default: one step up, observations never)."""
        if self.escalate_to is not None:
            return self.escalate_to
        return {"correction": "suspension", "suspension": "termination"}.get(self.severity)


class Recommendation(Spec):
    """The renew-or-rebid rules (see docs/decisions.md); every key has a documented default."""

    rebid_grades: list[str] | None = None  # default: the lowest grade
    conditional_grades: list[str] | None = None  # default: the second lowest grade
    renew_min: Annotated[float, Field(ge=0)] = 80.0
    rebid_on_veto: bool = True
    rebid_station_share: Annotated[float, Field(gt=0, le=1)] = 0.5


DEFAULT_ROLES = {
    "third_party": Text(zh="第三方评估机构", en="Third-party evaluator"),
    "purchaser": Text(zh="购买方", en="Purchaser"),
    "community": Text(zh="村（居）委会及合作方", en="Community and partners"),
    "supervisor": Text(zh="民政局（监督方）", en="Supervising bureau"),
}


class Disagreement(Spec):
    """When several raters are too far apart on a leaf (docs/raters.md): more than
    ``levels`` rubric levels, or more than ``share`` of the leaf's points elsewhere."""

    levels: Annotated[int, Field(ge=0, le=10)] = 1
    share: Annotated[float, Field(gt=0, le=1)] = 0.25


class SystemSpec(Spec):
    system: Meta
    grades: Annotated[list[Grade], Field(min_length=1)]
    tree: Annotated[list[Node], Field(min_length=1)]
    missing: MissingRule = "zero"
    vetoes: list[Veto] = []
    floors: list[Floor] = []
    deviations: list[Deviation] = []
    recommendation: Recommendation = Recommendation()
    roles: dict[str, Text] | None = None
    bonus_cap: Annotated[float, Field(ge=0)] | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] = 2
    grade_on: GradeOn = "total"  # the score the grade bands read: base alone, or base + bonus
    zero_target: ZeroTargetRule = "error"  # a target of 0 on an input row (see the docs)
    reconcile: ReconcileRule = "trimmed"  # several raters' values of a leaf → one
    disagreement: Disagreement = Disagreement()  # raters too far apart: the lead adjudicates

    @property
    def role_codes(self) -> set[str]:
        return set(self.roles if self.roles is not None else DEFAULT_ROLES)


Group.model_rebuild()
SystemSpec.model_rebuild()
