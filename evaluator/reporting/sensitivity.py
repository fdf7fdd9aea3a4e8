"""The sensitivity report (``evaluator.analysis.report``) as workbook tables, one sheet each."""

from __future__ import annotations

import pandas as pd


def report_sheets(doc: dict) -> dict[str, pd.DataFrame]:
    """The workbook's tables."""
    units = pd.DataFrame(
        [
            {
                **{k: v for k, v in u.items() if k not in ("grades_seen", "drivers")},
                "grades_seen": ", ".join(f"{g} {p:.1%}" for g, p in u["grades_seen"].items()),
                "drivers": ", ".join(f"{d['weight']} (ρ {d['rho']:+.2f})" for d in u["drivers"]),
            }
            for u in doc["units"]
        ]
    )
    sheets = {"单位 Units": units}
    if doc["groups"]:
        sheets["建议 Recommendations"] = pd.DataFrame(
            [
                {
                    **{k: v for k, v in g.items() if k != "seen"},
                    "seen": ", ".join(f"{o} {p:.1%}" for o, p in g["seen"].items()),
                }
                for g in doc["groups"]
            ]
        )
    cohort = doc["cohort"]
    sheets["整体 Cohort"] = pd.DataFrame(
        [
            {"measure": f"mean_rank_shift_{k}", "value": v}
            for k, v in cohort["mean_rank_shift"].items()
        ]
        + [{"measure": f"spearman_{k}", "value": v} for k, v in cohort["spearman"].items()]
        + [
            {"measure": f"remove_one_{r['family']}", "value": r["mean_rank_shift"]}
            for r in cohort["remove_one"]
        ]
    )
    attribution = doc.get("attribution")
    if attribution:
        sheets["Sobol"] = pd.DataFrame(attribution["rank_shift"])
        sheets["代理模型 Surrogate"] = pd.DataFrame(attribution["surrogate"]["importance"]).assign(
            r2=attribution["surrogate"]["r2"]
        )
        pca = attribution["pca"]
        sheets["PCA"] = pd.DataFrame(
            [
                {
                    "family": f["family"],
                    "child": c,
                    "pca_weight": w,
                    "nominal_weight": f["nominal"][c],
                }
                for f in pca.get("families", [])
                for c, w in f["weights"].items()
            ]
        )
    sheets["设置 Settings"] = pd.DataFrame(
        [{"setting": k, "value": str(v)} for k, v in doc["settings"].items()]
    )
    return sheets
