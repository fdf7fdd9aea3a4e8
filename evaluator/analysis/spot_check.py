"""A spot check (抽查) against the county's own round: the same stations scored twice,
compared on the share of points, so that two systems of different scales (100 and 1,000
points) compare too. Pure: the service reads the two rounds' results.

For each station in both rounds:

- **total share** = total ÷ the system's total points, in each round; the difference is the
  spot check's minus the county's, in percentage points of the total;
- **grade**: each round's grade code; they agree or not;
- **per leaf** (the leaves of the same code in both systems — every leaf when the spot check
  uses the county's system): the share of the leaf's points in each round and the
  difference. A leaf not scored in one round (no points) is left out.

A station **differs** when its total shares are ``total_tolerance`` (0.05: 5 percentage
points) or more apart, or its grades differ; a leaf differs when its shares are
``leaf_tolerance`` (0.25 of the leaf's points) or more apart. The summary counts the
stations compared, the grades that agree, the stations that differ, and the mean absolute
difference of the total shares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TOTAL_TOLERANCE = 0.05
LEAF_TOLERANCE = 0.25


@dataclass(frozen=True)
class Scored:
    """One round's results of one system: per unit ``{total, grade, nodes: {code: points}}``
    (the approval snapshot's document), with the system's total and each node's points."""

    results: Mapping[str, Mapping[str, object]]
    total_points: float
    node_points: Mapping[str, float]  # leaf code → its points (scored leaves only)


@dataclass(frozen=True)
class LeafDifference:
    leaf: str
    check_share: float
    own_share: float

    @property
    def difference(self) -> float:
        return self.check_share - self.own_share


@dataclass(frozen=True)
class StationComparison:
    unit: str
    check_total_share: float
    own_total_share: float
    check_grade: str
    own_grade: str
    leaves: tuple[LeafDifference, ...]  # largest absolute difference first
    total_tolerance: float
    leaf_tolerance: float

    @property
    def difference(self) -> float:
        return self.check_total_share - self.own_total_share

    @property
    def grades_agree(self) -> bool:
        return self.check_grade == self.own_grade

    @property
    def differs(self) -> bool:
        return abs(self.difference) >= self.total_tolerance - 1e-12 or not self.grades_agree

    @property
    def leaves_differing(self) -> tuple[LeafDifference, ...]:
        return tuple(x for x in self.leaves if abs(x.difference) >= self.leaf_tolerance - 1e-12)


@dataclass(frozen=True)
class Comparison:
    stations: tuple[StationComparison, ...]
    only_in_check: tuple[str, ...]  # sampled stations the county's round did not score
    common_leaves: int

    @property
    def grades_agreeing(self) -> int:
        return sum(s.grades_agree for s in self.stations)

    @property
    def differing(self) -> int:
        return sum(s.differs for s in self.stations)

    @property
    def mean_absolute_difference(self) -> float | None:
        if not self.stations:
            return None
        return sum(abs(s.difference) for s in self.stations) / len(self.stations)


def _share(points: object, of: float) -> float | None:
    if not isinstance(points, int | float) or isinstance(points, bool) or of <= 0:
        return None
    value = float(points)
    return None if math.isnan(value) else value / of


def compare(
    check: Scored,
    own: Scored,
    total_tolerance: float = TOTAL_TOLERANCE,
    leaf_tolerance: float = LEAF_TOLERANCE,
) -> Comparison:
    """The spot check ``check`` against the county's round ``own``, station by station (in
    the order of the spot check's units)."""
    common = [leaf for leaf in check.node_points if leaf in own.node_points]
    stations: list[StationComparison] = []
    only: list[str] = []
    for unit, mine in check.results.items():
        theirs = own.results.get(unit)
        check_total = _share(mine.get("total"), check.total_points)
        own_total = None if theirs is None else _share(theirs.get("total"), own.total_points)
        if theirs is None or check_total is None or own_total is None:
            only.append(unit)
            continue
        leaves: list[LeafDifference] = []
        check_nodes = _nodes(mine)
        own_nodes = _nodes(theirs)
        for leaf in common:
            a = _share(check_nodes.get(leaf), check.node_points[leaf])
            b = _share(own_nodes.get(leaf), own.node_points[leaf])
            if a is not None and b is not None:
                leaves.append(LeafDifference(leaf, a, b))
        leaves.sort(key=lambda x: (-abs(x.difference), x.leaf))
        stations.append(
            StationComparison(
                unit,
                check_total,
                own_total,
                str(mine.get("grade")),
                str(theirs.get("grade")),
                tuple(leaves),
                total_tolerance,
                leaf_tolerance,
            )
        )
    return Comparison(tuple(stations), tuple(only), len(common))


def _nodes(unit: Mapping[str, object]) -> Mapping[str, object]:
    nodes = unit.get("nodes")
    return nodes if isinstance(nodes, Mapping) else {}


def ranked(stations: Sequence[StationComparison]) -> list[StationComparison]:
    """Largest absolute difference of the total share first (then by unit)."""
    return sorted(stations, key=lambda s: (-abs(s.difference), s.unit))
