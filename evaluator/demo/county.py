"""The synthetic demo county: bureau, agencies, stations, one-year contracts (money in
integer fen, tranches 50/30/20, per-station targets). Plain frozen data, deterministic for a
seed; :mod:`evaluator.demo` writes the raw inputs for it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np

from evaluator.decisions.report_schedule import default_schedule

YEAR = 2026
# The second contract asks for quarterly reports besides the monthly briefs (one county plan
# does), due 15 days after each quarter; the others give no schedule (the default).
QUARTERLY_CONTRACT = 1
QUARTERLY_DUE_DAYS = 15

# (province, code, city, code): real prefectures; county names and codes are invented.
REGIONS = [
    ("四川省", "51", "南充市", "13"),
    ("湖南省", "43", "邵阳市", "05"),
    ("河南省", "41", "南阳市", "13"),
    ("江西省", "36", "吉安市", "08"),
    ("甘肃省", "62", "天水市", "05"),
    ("安徽省", "34", "六安市", "15"),
]
COUNTIES = ["清溪县", "安平县", "永宁县", "石泉县", "青川县", "宁远县", "新丰县", "长乐县"]
TOWNS = [
    "城关镇",
    "白马镇",
    "青龙镇",
    "石桥镇",
    "柳溪乡",
    "龙泉镇",
    "新集镇",
    "桃园镇",
    "双河镇",
    "东关街道",
    "西城街道",
    "南山镇",
    "马家镇",
    "高桥镇",
    "清水镇",
    "永兴镇",
    "太平镇",
    "兴隆镇",
    "安乐乡",
    "大河镇",
    "三岔镇",
    "白沙镇",
    "金山镇",
    "黄土岭乡",
    "杨柳镇",
    "观音镇",
]
TOWN_HEADS = "东西南北上下新老大小金银石龙凤马牛"
TOWN_TAILS = ["桥", "坪", "溪", "湾", "岭", "坝", "庄", "口"]
BRANDS = [
    "阳光",
    "同心",
    "启航",
    "和睦",
    "善行",
    "益民",
    "心桥",
    "暖阳",
    "德馨",
    "仁和",
    "众合",
    "春晖",
]
AGENCY_KINDS = ["社会工作服务中心", "社会工作服务社", "社会工作事务所"]
TRANCHES = [  # 原州区 plan: 50% on signing, 30% after the mid-term, the rest after the final
    (50, "协议生效后15个工作日内", "within 15 working days after the agreement takes effect"),
    (
        30,
        "中期评估通过后15个工作日内",
        "within 15 working days after the mid-term evaluation passes",
    ),
    (20, "末期评估通过后15个工作日内", "within 15 working days after the final evaluation passes"),
]


@dataclass(frozen=True)
class Bureau:
    name: str  # 购买主体, e.g. 清溪县民政局
    province: str
    city: str
    county: str
    province_code: str  # 6-digit administrative division codes
    city_code: str
    county_code: str


@dataclass(frozen=True)
class Agency:
    code: str
    name: str  # 清溪县阳光社会工作服务中心
    short_name: str  # 阳光
    uscc: str  # 统一社会信用代码, 18 characters with valid check characters
    grade: str  # 社会组织评估等级: 3A, 4A, 5A
    credit_status: str  # 信用状态


@dataclass(frozen=True)
class Station:
    code: str  # ST01
    township: str  # 白马镇
    name: str  # 白马镇社会工作服务站
    agency: str  # agency code


@dataclass(frozen=True)
class StationTargets:
    """Contract terms for one station and one service year (money in fen)."""

    station: str
    amount_fen: int
    staff: int
    cases: int
    groups: int
    activities: int
    visits: int
    volunteers: int
    volunteer_hours: int

    @property
    def budget_yuan(self) -> int:
        return self.amount_fen // 100

    def contract_targets(self) -> dict:
        """The per-station targets as a contract stores them (``contract.targets.<key>``)."""
        return {
            "staff": self.staff,
            "cases": self.cases,
            "groups": self.groups,
            "activities": self.activities,
            "visits": self.visits,
            "volunteers": self.volunteers,
            "volunteer_hours": self.volunteer_hours,
            "budget": self.budget_yuan,
            "amount_fen": self.amount_fen,
        }


@dataclass(frozen=True)
class Tranche:
    seq: int
    percent: int
    amount_fen: int
    condition_zh: str
    condition_en: str


@dataclass(frozen=True)
class Contract:
    code: str
    buyer: str
    agency: str
    stations: tuple[str, ...]
    start: date
    end: date
    amount_fen: int
    tranches: tuple[Tranche, ...]
    targets: tuple[StationTargets, ...]
    # the reports the contract asks for (decisions/report_schedule.py); None: the default
    report_schedule: tuple[dict, ...] | None = None


@dataclass(frozen=True)
class County:
    seed: int
    bureau: Bureau
    agencies: tuple[Agency, ...]
    stations: tuple[Station, ...]
    contracts: tuple[Contract, ...]

    def agency(self, code: str) -> Agency:
        return next(a for a in self.agencies if a.code == code)

    def contract_of(self, station: str) -> Contract:
        return next(c for c in self.contracts if station in c.stations)

    def targets(self, station: str) -> StationTargets:
        return next(t for t in self.contract_of(station).targets if t.station == station)

    def to_json(self) -> str:
        """The county as JSON: dates in ISO form, money as integer fen."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, default=_iso)


def _iso(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


# -- unified social credit code (GB 32100-2015) ------------------------------------------
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check(first17: str) -> str:
    """The 18th (check) character of a unified social credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def _uscc(region: str, rng: np.random.Generator) -> str:
    """5 = registered by civil affairs, 2 = social service organisation (民办非企业单位)."""
    body = "".join(str(d) for d in rng.integers(0, 10, 8))
    c9 = 11 - sum(int(d) * w for d, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    org = body + {10: "X", 11: "0"}.get(c9, str(c9))
    first17 = "52" + region + org
    return first17 + uscc_check(first17)


# -- the county ---------------------------------------------------------------------------
def make_county(seed: int = 2026, stations: int = 14, agencies: int = 3) -> County:
    """A county with ``stations`` township stations run by ``agencies`` agencies, each
    agency holding one one-year contract for a contiguous block of stations."""
    if not 1 <= agencies <= stations:
        raise ValueError("need 1 ≤ agencies ≤ stations")
    rng = np.random.default_rng(seed)
    province, p_code, city, c_code = REGIONS[rng.integers(len(REGIONS))]
    county_name = COUNTIES[rng.integers(len(COUNTIES))]
    county_code = f"{p_code}{c_code}{rng.integers(21, 30):02d}"
    bureau = Bureau(
        f"{county_name}民政局",
        province,
        city,
        county_name,
        f"{p_code}0000",
        f"{p_code}{c_code}00",
        county_code,
    )

    towns = list(TOWNS)
    towns += [h + t + "镇" for h in TOWN_HEADS for t in TOWN_TAILS if h + t + "镇" not in towns]
    if stations > len(towns):
        raise ValueError(f"at most {len(towns)} stations")
    pool = len(TOWNS) if stations <= len(TOWNS) else len(towns)  # real-sounding names first
    chosen = [towns[i] for i in rng.permutation(pool)[:stations]]
    if agencies > len(BRANDS) * len(AGENCY_KINDS):
        raise ValueError(f"at most {len(BRANDS) * len(AGENCY_KINDS)} agencies")
    nb = len(BRANDS)
    order = rng.permutation(nb)
    kind = rng.choice([0, 0, 1, 2], nb)  # mostly 社会工作服务中心
    brands = [
        (BRANDS[order[i % nb]], AGENCY_KINDS[(kind[i % nb] + i // nb) % 3]) for i in range(agencies)
    ]
    agency_list = tuple(
        Agency(
            f"AG{i + 1:02d}",
            f"{county_name}{brand}{kind}",
            brand,
            _uscc(county_code, rng),
            str(rng.choice(["3A", "4A", "4A", "5A"])),
            "正常",
        )
        for i, (brand, kind) in enumerate(brands)
    )
    blocks = np.array_split(np.arange(stations), agencies)
    station_list: list[Station] = []
    contracts: list[Contract] = []
    for i, (agency, block) in enumerate(zip(agency_list, blocks, strict=True)):
        codes = tuple(f"ST{j + 1:02d}" for j in block)
        station_list += [
            Station(c, chosen[j], f"{chosen[j]}社会工作服务站", agency.code)
            for c, j in zip(codes, block, strict=True)
        ]
        targets = tuple(_station_targets(code, rng) for code in codes)
        start = date(YEAR, int(rng.choice([1, 3, 4, 7])), 1)
        end = date(start.year + 1, start.month, 1) - timedelta(days=1)
        amount = sum(t.amount_fen for t in targets)
        first = amount * TRANCHES[0][0] // 100
        second = amount * TRANCHES[1][0] // 100
        amounts = [first, second, amount - first - second]
        tranches = tuple(
            Tranche(k + 1, pct, fen, zh, en)
            for k, ((pct, zh, en), fen) in enumerate(zip(TRANCHES, amounts, strict=True))
        )
        contracts.append(
            Contract(
                f"{county_code}-SGZ-{YEAR}-{i + 1:02d}",
                bureau.name,
                agency.code,
                codes,
                start,
                end,
                amount,
                tranches,
                targets,
                _report_schedule(start, end) if i == QUARTERLY_CONTRACT else None,
            )
        )
    return County(seed, bureau, agency_list, tuple(station_list), tuple(contracts))


def _report_schedule(start: date, end: date) -> tuple[dict, ...]:
    """Monthly briefs and quarterly reports, with the default mid-term and final report."""
    monthly, *dated = default_schedule(start, end)
    return (monthly, {"kind": "quarterly", "due_days": QUARTERLY_DUE_DAYS}, *dated)


def _station_targets(code: str, rng: np.random.Generator) -> StationTargets:
    yuan = int(rng.integers(30, 61)) * 10_000  # ¥300,000–600,000 a station a year
    staff = int(np.clip(round(yuan / 120_000), 2, 5))
    volunteers = int(rng.integers(5, 13)) * 10
    return StationTargets(
        station=code,
        amount_fen=yuan * 100,
        staff=staff,
        cases=staff * int(rng.integers(6, 11)),
        groups=int(rng.integers(4, 9)),
        activities=int(rng.integers(12, 25)),
        visits=int(rng.integers(12, 49)) * 10,
        volunteers=volunteers,
        volunteer_hours=volunteers * int(rng.integers(8, 16)),
    )


# -- the demo's cast: which station plays which part ----------------------------------
def cast(county: County) -> dict[str, tuple[str, ...]]:
    """Which stations play which part in the demo (by position, so any size works)."""
    codes = [s.code for s in county.stations]
    n = len(codes)

    def at(*idx: int) -> tuple[str, ...]:
        return tuple(codes[i % n] for i in idx)

    return {
        "weak": at(2 * n // 3),
        "capped": at(5),
        "vetoed": at(n // 2),
        "missing": at(4, n - 2),
        "thin": at(n // 2 - 1),
        "flawed": at(n // 2 - 1),
        # leaves its first quarterly report out of the report log (if its contract asks for
        # quarterly reports): the contract's schedule sees it missing
        "unreported": at(n // 2 + 1),
        # spends a sixth of its logged hours on township administrative work, above the
        # 10% the shipped system allows when the contract sets no limit (去行政化)
        "diverted": at(n // 2 - 2),
    }
