"""Satisfaction surveys (满意度调查): valid responses, mean with a 95% confidence interval,
quota check and awareness rate, per station and respondent type.

- A response is *valid* when at least ``min_answered`` (80%) of the five items are answered.
- A respondent's score is the mean of the items they answered; the station's mean is the
  mean of its valid respondents' scores; the 95% interval is mean ± t(0.975, n−1)·s/√n
  (s the sample standard deviation; no interval for n < 2).
- The quota (service users: 50 by phone and 10 on site by default, after Guangzhou practice;
  no quota for purchasers and community committees) is checked per channel on valid
  responses; a shortfall flags the leaf ``insufficient_sample``, it never passes silently.
- A respondent is *aware* when they know at least ``min_known`` (3) of the five facts;
  the rate is over valid respondents who answered the awareness questions.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import (
    INSUFFICIENT_SAMPLE,
    Metric,
    result,
    station_codes,
)
from evaluator.systems.vocabulary import (
    MIN_ANSWERED,
    MIN_KNOWN,
    ON_SITE_QUOTA,
    PHONE_QUOTA,
    RESPONDENT,
)

ITEMS = ("overall", "attitude", "competence", "timeliness", "outcome")
FACTS = ("knows_address", "knows_services", "knows_staff", "knows_help", "knows_funding")
Z975 = 1.959963984540054


def central_t(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3–4, exact)."""
    theta = math.atan(t / math.sqrt(df))
    c2, sin, cos = math.cos(theta) ** 2, math.sin(theta), math.cos(theta)
    if df % 2:  # odd
        if df == 1:
            return 2 * theta / math.pi
        term, total = 1.0, 1.0
        for k in range(3, df - 1, 2):  # (2·4···(k−1)) / (1·3···k) cos^(k−1)
            term *= (k - 1) / k * c2
            total += term
        return 2 / math.pi * (theta + sin * cos * total)
    term, total = 1.0, 1.0
    for k in range(2, df - 1, 2):  # (1·3···(k−1)) / (2·4···k) cos^k
        term *= (k - 1) / k * c2
        total += term
    return sin * total


@functools.lru_cache(maxsize=4096)
def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom: bisection on the
    exact distribution up to 200, the Cornish–Fisher expansion beyond (error below 1e-9)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= 200:
        lo = 0.0
        hi = 13.0 if df == 1 else 5.0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if central_t(mid, df) < 0.95 else (lo, mid)
        return (lo + hi) / 2
    z, v = Z975, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def mean_interval(scores: np.ndarray) -> tuple[float, float | None, float | None, float | None]:
    """(mean, sample sd, low, high) of ``scores``; NaN mean for none, no interval below 2."""
    n = len(scores)
    if n == 0:
        return math.nan, None, None, None
    mean = float(scores.mean())
    if n < 2:
        return mean, None, None, None
    sd = float(scores.std(ddof=1))
    half = half_width(sd, n)
    return mean, sd, mean - half, mean + half


def half_width(sd: float, n: int) -> float:
    """Half the 95% interval of a mean of ``n`` ≥ 2 values with sample deviation ``sd``."""
    return t975(n - 1) * sd / math.sqrt(n)


def _respondents(frame: pd.DataFrame, respondent: str, min_answered: float) -> pd.DataFrame:
    rows = frame[np.asarray(frame["respondent_type"].astype(object) == respondent, dtype=bool)]
    items = (
        np.column_stack(
            [
                np.asarray(rows[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan))
                for c in ITEMS
            ]
        )
        if len(rows)
        else np.empty((0, len(ITEMS)))
    )
    answered = (~np.isnan(items)).sum(axis=1)
    valid = answered >= math.ceil(min_answered * len(ITEMS) - 1e-9)
    with np.errstate(invalid="ignore"):
        score = (
            np.nanmean(np.where(answered[:, None] > 0, items, 0.0), axis=1)
            if len(rows)
            else np.empty(0)
        )
    facts = (
        np.column_stack(
            [
                np.asarray(rows[c].astype("boolean").to_numpy(dtype=float, na_value=np.nan))
                for c in FACTS
            ]
        )
        if len(rows)
        else np.empty((0, len(FACTS)))
    )
    return pd.DataFrame(
        {
            "station": station_codes(rows),
            "channel": np.asarray(rows["channel"].astype(object), dtype=object),
            "valid": valid,
            "score": score,
            "asked": ~np.isnan(facts).any(axis=1),
            "known": np.nan_to_num(facts).sum(axis=1),
        }
    )


def _quota_defaults(params):
    user = params.get("respondent", "user") == "user"
    return {"phone_quota": 50 if user else 0, "on_site_quota": 10 if user else 0}


def _satisfaction(frame, stations, period, params):
    people = _respondents(frame, params["respondent"], params["min_answered"])
    valid = people[people["valid"]]
    stats = valid.groupby("station")["score"].agg(["mean", "std", "count"]).reindex(stations)
    responses = people.groupby("station").size().reindex(stations).fillna(0).astype(int)
    channels = (
        valid.groupby(["station", "channel"])
        .size()
        .unstack(fill_value=0)
        .reindex(stations)
        .fillna(0)
    )
    phone = channels["phone"].astype(int) if "phone" in channels else pd.Series(0, index=stations)
    on_site = (
        channels["on_site"].astype(int) if "on_site" in channels else pd.Series(0, index=stations)
    )
    n = stats["count"].fillna(0).astype(int)
    detail, flags = {}, {}
    # plain arrays in station order: a national round asks for 30,000 stations' figures
    columns = (
        n.to_numpy(),
        stats["mean"].to_numpy(),
        stats["std"].to_numpy(),
        responses.to_numpy(),
        phone.to_numpy(),
        on_site.to_numpy(),
    )
    for s, k, mean_s, sd_s, responses_s, phone_s, on_site_s in zip(stations, *columns, strict=True):
        k = int(k)
        mean = float(mean_s) if k else math.nan
        sd = float(sd_s) if k >= 2 else None
        half = half_width(sd, k) if sd is not None else None
        detail[s] = {
            "respondent": params["respondent"],
            "responses": int(responses_s),
            "valid": k,
            "phone": int(phone_s),
            "on_site": int(on_site_s),
            "phone_quota": params["phone_quota"],
            "on_site_quota": params["on_site_quota"],
            "mean": None if not k else round(mean, 4),
            "sd": None if sd is None else round(sd, 4),
            "ci95": None if half is None else [round(mean - half, 4), round(mean + half, 4)],
        }
        short = phone_s < params["phone_quota"] or on_site_s < params["on_site_quota"]
        flags[s] = (INSUFFICIENT_SAMPLE,) if short else ()
    return result(stations, stats["mean"], n.astype(float), detail, flags)


def _awareness(frame, stations, period, params):
    people = _respondents(frame, params["respondent"], params["min_answered"])
    asked = people[people["valid"] & people["asked"]]
    aware = (asked["known"] >= params["min_known"]).astype(float)
    count = aware.groupby(asked["station"].to_numpy()).sum().reindex(stations).fillna(0.0)
    total = asked.groupby("station").size().reindex(stations).fillna(0).astype(float)
    value = (count / total).where(total > 0)
    detail = {
        s: {"aware": int(count[s]), "asked": int(total[s]), "min_known": params["min_known"]}
        for s in stations
    }
    return result(stations, value, total, detail)


SURVEY_METRICS = (
    Metric(
        "satisfaction_mean",
        "satisfaction",
        "满意度均值",
        "Mean satisfaction",
        "mean over valid responses of each respondent's mean item score (1–5), with n valid responses and a 95% t interval; quota per channel",
        "有效问卷（作答 ≥80% 题项）各受访者题项均分的平均值（1–5），附有效样本数与 95% 置信区间；分渠道检查样本配额",
        ("likert",),
        _satisfaction,
        (RESPONDENT, MIN_ANSWERED, PHONE_QUOTA, ON_SITE_QUOTA),
        targets=False,
        param_defaults=_quota_defaults,
    ),
    Metric(
        "awareness_rate",
        "satisfaction",
        "服务知晓率",
        "Awareness rate",
        "valid respondents knowing at least min_known (3) of the 5 facts ÷ valid respondents asked",
        "知道 5 项中至少 min_known（默认 3）项的有效受访者 ÷ 回答了知晓度题目的有效受访者",
        ("ratio", "count"),
        _awareness,
        (RESPONDENT, MIN_ANSWERED, MIN_KNOWN),
        targets=False,
    ),
)
