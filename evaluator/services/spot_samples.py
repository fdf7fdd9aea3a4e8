"""The stations a spot check samples (抽样): every station of the contract in force on the
round's date, the stations the commissioner names, or a share or a number of them drawn
reproducibly with the round's id as the seed (analysis/spot_sample.py). Chosen and checked
before the round is created, written with it in one transaction (services/rounds.py), and
read by the round's cohort (services/cohorts.py): a spot check's units are its sample."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from evaluator.analysis.spot_sample import draw, sample_size
from evaluator.errors import InvalidInput, Problem
from evaluator.services import station_links
from evaluator.services.cohorts import unit_named
from evaluator.store.contracts import Contract, ContractStation
from evaluator.store.rounds import Round, RoundSample, SampledStation

METHOD_ZH = {
    "all": "全部社工站",
    "stations": "指定社工站",
    "share": "按比例抽取",
    "count": "按数量抽取",
}


@dataclass(frozen=True)
class SampleRequest:
    """What the commissioner asks for: exactly one of the station codes, a share in (0, 1]
    or a number of stations. No request at all (``None`` where one is taken) samples all."""

    stations: tuple[str, ...] | None = None
    share: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class Sample:
    """A chosen sample, not yet written: how, from how many, and which stations."""

    method: str
    population: int
    stations: dict[str, uuid.UUID]  # code → station id, sorted by code
    share: float | None = None
    count: int | None = None
    seed: str = ""

    def document(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "method_zh": METHOD_ZH[self.method],
            "share": self.share,
            "count": self.count,
            "seed": self.seed,
            "population": self.population,
            "stations": list(self.stations),
        }


def _invalid(en: str, zh: str, path: str) -> InvalidInput:
    return InvalidInput(Problem(en, zh, path=path))


async def choose(
    contract: Contract, as_of: dt.date, request: SampleRequest | None, seed: uuid.UUID
) -> Sample:
    """The sample ``request`` asks for among the contract's stations in force on ``as_of``,
    drawn with ``seed`` (the round's id); bad requests raise :class:`InvalidInput` naming
    the field (``sample.stations[1]``, ``sample.share``, ``sample.count``)."""
    links = dict(
        await ContractStation.filter(station_links.active_on(as_of), contract_id=contract.id)
        .order_by("station__code")
        .values_list("station__code", "station_id")
    )
    codes, on = list(links), as_of.isoformat()
    if request is None:
        return Sample("all", len(codes), links)
    asked = [
        name
        for name, value in (
            ("stations", request.stations),
            ("share", request.share),
            ("count", request.count),
        )
        if value is not None
    ]
    if len(asked) != 1:
        raise _invalid(
            "name the sample one way: the stations, a share or a count"
            + (f" (given: {', '.join(asked)})" if asked else ""),
            "抽样方式须且只能选一种：指定社工站（stations）、比例（share）或数量（count）",
            "sample",
        )
    if not codes:
        raise _invalid(
            f"contract {contract.code} has no station in force on {on} to sample",
            f"合同 {contract.code} 在 {on} 没有可抽取的社工站",
            "sample",
        )
    if request.stations is not None:
        return Sample("stations", len(codes), _named(contract, on, links, request.stations))
    if request.share is not None:
        share = request.share
        if not (math.isfinite(share) and 0 < share <= 1):
            raise _invalid(
                f"the share of stations to sample must be in (0, 1], not {share}",
                f"抽样比例须在 (0, 1] 之间，而不是 {share}",
                "sample.share",
            )
        k = sample_size(len(codes), share=share)
    else:
        k = request.count or 0
        if not 1 <= k <= len(codes):
            raise _invalid(
                f"the number of stations to sample must be 1 to {len(codes)} (the stations of "
                f"contract {contract.code} on {on}), not {request.count}",
                f"抽取社工站数量须在 1 至 {len(codes)} 之间（合同 {contract.code} 在 {on} 的社工站数），"
                f"而不是 {request.count}",
                "sample.count",
            )
    chosen = draw(codes, k, str(seed))
    return Sample(
        "share" if request.share is not None else "count",
        len(codes),
        {code: links[code] for code in chosen},
        share=request.share,
        count=request.count,
        seed=str(seed),
    )


def _named(
    contract: Contract, on: str, links: dict[str, uuid.UUID], named: tuple[str, ...]
) -> dict[str, uuid.UUID]:
    if not named:
        raise _invalid(
            "name at least one station to sample", "请至少指定一个抽查社工站", "sample.stations"
        )
    problems, found = [], set()
    for i, text in enumerate(named):
        code = unit_named(list(links), text)
        path = f"sample.stations[{i}]"
        if code is None:
            problems.append(
                Problem(
                    f"{text!r} is not a station of contract {contract.code} on {on}",
                    f"“{text}”不是合同 {contract.code} 在 {on} 的社工站",
                    path=path,
                )
            )
        elif code in found:
            problems.append(
                Problem(f"station {code} is named twice", f"社工站 {code} 被重复指定", path=path)
            )
        else:
            found.add(code)
    if problems:
        raise InvalidInput(problems)
    return {code: links[code] for code in sorted(found)}


async def record(round_: Round, sample: Sample, conn) -> None:
    """Write ``sample`` as the round's (in the caller's transaction, with its audit event)."""
    row = await RoundSample.create(
        round=round_,
        method=sample.method,
        share=sample.share,
        count=sample.count,
        seed=sample.seed,
        population=sample.population,
        using_db=conn,
    )
    await SampledStation.bulk_create(
        [SampledStation(sample_id=row.id, station_id=sid) for sid in sample.stations.values()],
        using_db=conn,
    )


async def sample_document(round_: Round) -> dict[str, Any] | None:
    """The round's sample as :meth:`Sample.document` gives it; None for a round that
    samples nothing (not a spot check)."""
    row = await RoundSample.get_or_none(round_id=round_.id)
    if row is None:
        return None
    codes = (
        await SampledStation.filter(sample_id=row.id)
        .order_by("station__code")
        .values_list("station__code", "station_id")
    )
    return Sample(
        row.method, row.population, dict(codes), row.share, row.count, row.seed
    ).document()
