"""The validated, immutable indicator system the engine works with.

Built from a :class:`~evaluator.systems.schema.SystemSpec` once every rule holds; every
node carries its effective points (weights already turned into points).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from evaluator.canonical import digest
from evaluator.systems.schema import (
    BonusLeaf,
    ChecklistLeaf,
    CountLeaf,
    DeductionLeaf,
    Group,
    Leaf,
    LikertLeaf,
    RatioLeaf,
    RubricLeaf,
    RubricLevel,
    RubricSet,
    SystemSpec,
    Text,
)

S = TypeVar(
    "S",
    Group,
    ChecklistLeaf,
    RatioLeaf,
    RubricLeaf,
    LikertLeaf,
    CountLeaf,
    DeductionLeaf,
    BonusLeaf,
)


@dataclass(frozen=True)
class Node:
    """One node of the tree. ``points`` is effective (0 for a bonus leaf)."""

    code: str
    name: Text
    depth: int  # 1 = family (一级指标)
    parent: str | None
    children: tuple[str, ...]
    points: float
    spec: Group | Leaf = field(repr=False)

    @property
    def is_leaf(self) -> bool:
        return not isinstance(self.spec, Group)

    @property
    def method(self) -> str | None:
        return None if isinstance(self.spec, Group) else self.spec.method

    @property
    def is_bonus(self) -> bool:
        return isinstance(self.spec, BonusLeaf)

    @property
    def rater_role(self) -> str:
        """The rater role that scores this leaf (its ``role``; the third party by default;
        a group has none of its own: the third party)."""
        return str(getattr(self.spec, "role", "third_party"))

    def spec_as(self, kind: type[S]) -> S:
        """The spec as the kind its method (or being a group) says it is; callers that
        dispatch on ``method`` know it, and this tells the type checker."""
        spec = self.spec
        assert isinstance(spec, kind), f"{self.code} is not a {kind.__name__}"
        return spec


@dataclass(frozen=True)
class IndicatorSystem:
    spec: SystemSpec = field(repr=False)
    nodes: MappingProxyType[str, Node] = field(repr=False)  # code → Node, in pre-order
    rubrics: MappingProxyType[str, RubricSet] = field(
        repr=False
    )  # rubric id → RubricSet (those used)
    content_hash: str = ""
    source: str | None = None

    # -- metadata -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.system.id

    @property
    def version(self) -> str:
        return self.spec.system.version

    @property
    def name(self) -> Text:
        return self.spec.system.name

    @property
    def unit(self) -> str:
        return self.spec.system.unit

    @property
    def total_points(self) -> float:
        return self.spec.system.total_points

    # -- structure ------------------------------------------------------------------------
    @property
    def families(self) -> tuple[Node, ...]:
        """Scored nodes of depth 1 (a bonus leaf at the top is not a family)."""
        return tuple(n for n in self.nodes.values() if n.depth == 1 and not n.is_bonus)

    @property
    def leaves(self) -> tuple[Node, ...]:
        """Scored leaves (bonus leaves excluded), in pre-order."""
        return tuple(n for n in self.nodes.values() if n.is_leaf and not n.is_bonus)

    @property
    def bonus_leaves(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes.values() if n.is_bonus)

    @property
    def groups(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes.values() if not n.is_leaf)

    @property
    def depth(self) -> int:
        return max(n.depth for n in self.nodes.values())

    @property
    def bonus_cap(self) -> float:
        if self.spec.bonus_cap is not None:
            return self.spec.bonus_cap
        return sum(n.spec_as(BonusLeaf).cap for n in self.bonus_leaves)

    def missing_rule(self, leaf: Node) -> str:
        return getattr(leaf.spec, "missing", None) or self.spec.missing

    def zero_target_rule(self, leaf: Node) -> str:
        """What a target of 0 means for ``leaf``: its own ``zero_target``, else the system's."""
        return getattr(leaf.spec, "zero_target", None) or self.spec.zero_target

    def reconcile_rule(self, leaf: Node) -> str:
        """How several raters' values of ``leaf`` become one: its own ``reconcile``, else
        the system's (trimmed mean by default)."""
        return getattr(leaf.spec, "reconcile", None) or self.spec.reconcile

    def rubric_levels(self, leaf: Node) -> list[RubricLevel]:
        spec = leaf.spec_as(RubricLeaf)
        if spec.levels is not None:
            return list(spec.levels)
        assert spec.rubric is not None  # the schema asks for levels or a rubric
        return list(self.rubrics[spec.rubric].levels)

    def summary(self) -> dict[str, Any]:
        methods = Counter(n.method for n in self.nodes.values() if n.is_leaf)
        return {
            "id": self.id,
            "version": self.version,
            "name_zh": self.name.zh,
            "name_en": self.name.en,
            "unit": self.unit,
            "depth": self.depth,
            "families": len(self.families),
            "leaves": len(self.leaves),
            "bonus_leaves": len(self.bonus_leaves),
            "total_points": self.total_points,
            "bonus_cap": self.bonus_cap,
            "grade_on": self.spec.grade_on,
            "vetoes": len(self.spec.vetoes),
            "methods": dict(sorted(methods.items())),
            "hash": self.content_hash,
        }

    def canonical(self) -> dict[str, Any]:
        """The canonical form: every default explicit, rubric sets inlined, no layout."""
        return canonical_form(self.spec, self.rubrics)


# Keys the language gained after systems were first stored, with the value that means
# what the language meant before them. The canonical form leaves such a key out while it
# holds that value, so that a system written before the key existed keeps its hash (and
# every stored round's pinned version, snapshot and audit event stay verifiable).
ADDED_SYSTEM_KEYS: dict[str, object] = {
    "grade_on": "total",
    "zero_target": "error",
    "reconcile": "trimmed",
    "disagreement": {"levels": 1, "share": 0.25},
}
ADDED_NODE_KEYS: dict[str, object] = {"zero_target": None, "reconcile": None}


def _without_added(node: dict[str, Any]) -> dict[str, Any]:
    node = {k: v for k, v in node.items() if k not in ADDED_NODE_KEYS or v != ADDED_NODE_KEYS[k]}
    if "children" in node:
        node["children"] = [_without_added(c) for c in node["children"]]
    return node


def canonical_form(spec: SystemSpec, rubrics: Mapping[str, RubricSet]) -> dict[str, Any]:
    doc = {
        k: v
        for k, v in spec.model_dump(mode="json").items()
        if k not in ADDED_SYSTEM_KEYS or v != ADDED_SYSTEM_KEYS[k]
    }
    doc["tree"] = [_without_added(node) for node in doc["tree"]]
    doc["rubric_sets"] = {rid: rubrics[rid].model_dump(mode="json") for rid in sorted(rubrics)}
    return doc


def content_hash(spec: SystemSpec, rubrics: Mapping[str, RubricSet]) -> str:
    return digest(canonical_form(spec, rubrics))


def build_system(
    spec: SystemSpec, rubrics: dict[str, RubricSet], source: str | None = None
) -> IndicatorSystem:
    """Compile a spec that passed every rule into the engine's immutable system."""
    nodes: dict[str, Node] = {}

    def visit(
        children: Sequence[Group | Leaf], parent: str | None, parent_points: float, depth: int
    ) -> None:
        scored = [c for c in children if not isinstance(c, BonusLeaf)]
        wsum = sum(c.weight for c in scored if c.weight is not None)
        for child in children:
            if isinstance(child, BonusLeaf):
                points = 0.0
            elif child.points is not None:
                points = child.points
            else:
                assert child.weight is not None  # the schema asks for points or a weight
                points = parent_points * child.weight / wsum
            kids = tuple(c.code for c in child.children) if isinstance(child, Group) else ()
            nodes[child.code] = Node(child.code, child.name, depth, parent, kids, points, child)
            if isinstance(child, Group):
                visit(child.children, child.code, points, depth + 1)

    visit(spec.tree, None, spec.system.total_points, 1)
    used = {
        rubric
        for n in nodes.values()
        if n.method == "rubric" and (rubric := n.spec_as(RubricLeaf).rubric)
    }
    used_rubrics = {rid: rubrics[rid] for rid in sorted(used)}
    return IndicatorSystem(
        spec=spec,
        nodes=MappingProxyType(nodes),
        rubrics=MappingProxyType(used_rubrics),
        content_hash=content_hash(spec, used_rubrics),
        source=source,
    )


def system_from_canonical(doc: dict[str, Any], source: str | None = None) -> IndicatorSystem:
    """Rebuild a system from its canonical form (as stored by a round's pinned version)."""
    doc = dict(doc)
    rubrics = {rid: RubricSet.model_validate(r) for rid, r in doc.pop("rubric_sets", {}).items()}
    return build_system(SystemSpec.model_validate(doc), rubrics, source=source)
