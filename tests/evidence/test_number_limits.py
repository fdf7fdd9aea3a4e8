"""Register cells beyond what the store holds are located problems, never a crash: money
beyond 2^63 − 1 fen and whole numbers beyond 64 bits; station codes compare without case
or width against the round's stations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluator.errors import InvalidInput
from evaluator.evidence.columns import Bad, Column
from evaluator.evidence.parse import parse_register
from evaluator.systems.bounds import INT64_MAX
from evaluator.tables.cells import code_key

MONEY = Column("amount", "金额", "Amount", "money")
WHOLE = Column("count", "数量", "Count", "integer")


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("92,233,720,368,547,758.07", INT64_MAX),
        ("-92233720368547758.07", -INT64_MAX),
        ("1,234.56", 123456),
    ],
)
def test_money_up_to_64_bits_of_fen(text, fen):
    assert MONEY.parse(text) == fen
    built = MONEY.build([fen], np.array([0]))
    assert int(built[0]) == fen


@pytest.mark.parametrize(
    "text", ["92233720368547758.08", "99999999999999999999", "-92233720368547758.08"]
)
def test_money_beyond_64_bits_of_fen_is_a_problem(text):
    bad = MONEY.parse(text)
    assert isinstance(bad, Bad)
    assert "too large" in bad.en and "92,233,720,368,547,758.07" in bad.en and "过大" in bad.zh


@pytest.mark.parametrize("text", ["1e19", "-1e30", "99999999999999999999"])
def test_whole_numbers_beyond_64_bits_are_a_problem(text):
    bad = WHOLE.parse(text)
    assert isinstance(bad, Bad) and "too large" in bad.en and "过大" in bad.zh


@pytest.mark.parametrize("text", ["1e400", "-1e400", "nan", "inf"])
def test_infinite_numbers_are_not_numbers(text):
    assert isinstance(WHOLE.parse(text), Bad)
    assert isinstance(Column("x", "x", "x", "decimal").parse(text), Bad)


def test_a_finance_ledger_with_an_impossible_amount_is_located(tmp_path: Path):
    path = tmp_path / "财务台账.csv"
    path.write_text(
        "日期,凭证号,站点编码,支出类别,金额（元）,凭证齐全\n"
        "2025-03-05,记-001,S01,人员经费,8000,是\n"
        '2025-03-06,记-002,S01,活动经费,"99,999,999,999,999,999,999.00",是\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        parse_register("finance", path)
    (p,) = caught.value.problems
    assert (p.row, p.column) == (3, "金额（元）") and "too large" in p.en


def test_station_codes_are_matched_without_case_or_width(tmp_path: Path):
    path = tmp_path / "志愿者名册.csv"
    path.write_text(
        "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\n"
        "V001,st01,是,12\nV002,ＳＴ０２,否,3\nV003,ST01,是,1\nV004,ST03,是,1\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:  # ST03 is not a station of the round
        parse_register("volunteers", path, stations=["ST01", "ST02"])
    assert [p.row for p in caught.value.problems] == [5]
    path.write_text(path.read_text(encoding="utf-8").replace("V004,ST03", "V004,st02"), "utf-8")
    register = parse_register("volunteers", path, stations=["ST01", "ST02"])
    assert list(register.frame["station"].astype(str)) == ["ST01", "ST02", "ST01", "ST02"]
    assert list(register.frame["station"].cat.categories) == ["ST01", "ST02"]


def test_code_key_is_the_migration_s_normalisation():
    assert code_key(" ＳＴ０１ ") == code_key("st01") == code_key("ST01") == "st01"
    assert code_key("ST-01") != code_key("ST01")
