"""Checks of a leaf's ``measure`` against the metric vocabulary
(:mod:`evaluator.systems.vocabulary`): the metric exists, fits the leaf's method, gets only
the parameters it declares (with valid values), and its target is a positive number or a
known contract field, given once."""

from __future__ import annotations

from typing import Any

from evaluator.errors import Problem
from evaluator.systems.vocabulary import (
    CONTRACT_FIELDS,
    METRIC_TERMS,
    RESULTS_KIND,
    TARGET_KEYS,
    TARGET_PREFIX,
    MetricTerm,
    target_field_known,
)
from evaluator.systems.yamlsrc import Located, Path_


def check_measure(doc: Located, path: Path_, node: dict[str, Any]) -> list[Problem]:
    measure = node.get("measure")
    if not isinstance(measure, dict):
        return []
    here = (*path, "measure")
    name = measure.get("metric")
    metric = METRIC_TERMS.get(name) if isinstance(name, str) else None
    if metric is None:
        if not isinstance(name, str):
            return []  # reported by the schema
        known = ", ".join(METRIC_TERMS)
        return [
            doc.problem(
                (*here, "metric"),
                f"unknown metric {name!r} (known: {known})",
                f"未知的指标计算 {name!r}（可用：{known}）",
            )
        ]
    problems = []
    unit = _unit(doc)
    if metric.kind == RESULTS_KIND and unit is not None and unit != "agency":
        problems.append(
            doc.problem(
                (*here, "metric"),
                f"metric {name} reads the stations' approved results: it fills leaves of an"
                f" agency system (unit: agency), not of a {unit} system",
                f"指标计算 {name} 读取各社工站已审定的评估结果，仅适用于评估机构的指标体系"
                f"（unit: agency），不适用于 {unit} 体系",
            )
        )
    method = node.get("method")
    if isinstance(method, str) and method not in metric.methods:
        fits = ", ".join(metric.methods)
        problems.append(
            doc.problem(
                (*here, "metric"),
                f"metric {name} cannot fill a {method} leaf (it fits: {fits})",
                f"指标计算 {name} 不适用于 {method} 类指标（适用：{fits}）",
            )
        )
    params = measure.get("params")
    declared = metric.by_param
    for key, value in params.items() if isinstance(params, dict) else ():
        param = declared.get(key)
        if param is None:
            names = ", ".join(declared) or "none"
            problems.append(
                doc.problem(
                    (*here, "params", key),
                    f"metric {name} has no parameter {key!r} (it has: {names})",
                    f"指标计算 {name} 没有参数 {key!r}（可用：{names}）",
                )
            )
            continue
        reason = param.check(value)
        if reason is not None:
            problems.append(
                doc.problem((*here, "params", key), f"{key} {reason[0]}", f"{key} {reason[1]}")
            )
    problems += _target(doc, here, node, metric, measure.get("target"))
    return problems


def _unit(doc: Located) -> object:
    """The system's unit as the document gives it (None when it gives none: the schema
    reports that)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    header = data.get("system")
    return header.get("unit") if isinstance(header, dict) else None


def _target(
    doc: Located, here: Path_, node: dict[str, Any], metric: MetricTerm, target: object
) -> list[Problem]:
    if target is None:
        return []
    at = (*here, "target")
    method = node.get("method")
    if method not in ("ratio", "count") or (
        method == "count" and node.get("per_target") is not True
    ):
        return [
            doc.problem(
                at,
                "a target applies to ratio leaves and to count leaves with per_target: true",
                "目标仅适用于达成率指标及 per_target: true 的计数指标",
            )
        ]
    if node.get("target") is not None:
        return [
            doc.problem(
                at,
                "the leaf has a target already: give it once, on the leaf or in measure",
                "指标已设目标：目标只能在指标或 measure 中给出一次",
            )
        ]
    if isinstance(target, str):
        if not target_field_known(target):
            known = ", ".join([*(TARGET_PREFIX + k for k in TARGET_KEYS), *CONTRACT_FIELDS])
            return [
                doc.problem(
                    at,
                    f"unknown target {target!r}: a target is a positive number or one of {known}",
                    f"未知的目标 {target!r}：目标须为正数或以下之一：{known}",
                )
            ]
        if not metric.targets:
            return [
                doc.problem(
                    at,
                    f"metric {metric.name} is a share; compare it with a constant target, not a contract field",
                    f"指标计算 {metric.name} 是比例，只能与常数目标比较，不能与合同字段比较",
                )
            ]
    return []
