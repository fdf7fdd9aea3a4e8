"""The metric library implements exactly the vocabulary the indicator-system language names
(:mod:`evaluator.systems.vocabulary`): every term has an implementation over the same
register kind, for the same leaf methods, with the same parameters, and vice versa; and each
implementation reads exactly the parameters it declares."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd
import pytest

from evaluator.demo.county import make_county
from evaluator.demo.registers import demo_registers, round_date, write_registers
from evaluator.demo.scoring import cast
from evaluator.evidence.metrics import CONTRACT_FIELDS, METRICS, RESULTS_KIND, TARGET_KEYS, Period
from evaluator.evidence.metrics.results import RESULTS_COLUMNS
from evaluator.evidence.parse import parse_register
from evaluator.systems import vocabulary
from evaluator.systems.vocabulary import METRIC_TERMS


def test_every_term_has_an_implementation_and_every_implementation_a_term():
    assert list(METRICS) == list(METRIC_TERMS)


@pytest.mark.parametrize("name", list(METRIC_TERMS))
def test_implementation_matches_its_term(name):
    term, metric = METRIC_TERMS[name], METRICS[name]
    assert metric.name == term.name
    assert metric.kind == term.kind
    assert metric.methods == term.methods
    assert metric.targets == term.targets
    assert metric.params == term.params
    assert metric.by_param == term.by_param


def test_targets_are_the_vocabulary_s():
    assert TARGET_KEYS is vocabulary.TARGET_KEYS
    assert CONTRACT_FIELDS is vocabulary.CONTRACT_FIELDS


class Recording(Mapping[str, object]):
    """Parameters that remember which of them a computation read."""

    def __init__(self, values: Mapping[str, object]):
        self.values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> object:
        self.read.add(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    county = make_county()
    contract = county.contracts[0]
    frames = demo_registers(county, contract, cast(county), flaws=False)
    period = Period(contract.start, min(round_date(contract, 0.5), contract.end))
    folder = tmp_path_factory.mktemp("registers")
    parsed = {
        kind: parse_register(kind, path).frame
        for kind, path in write_registers(frames, folder).items()
    }
    parsed[RESULTS_KIND] = pd.DataFrame(  # the stations' approved results: no file to parse
        [
            {
                "station": code,
                "evaluated": code,
                "round": "r1",
                "round_kind": "mid_term",
                "as_of": period.end.isoformat(),
                "snapshot": "s1",
                "total": 70.0 + i,
                "out_of": 100.0,
                "grade": "pass",
                "grade_zh": "合格",
                "lowest_grade": "fail",
                "vetoes": "",
            }
            for i, code in enumerate(contract.stations)
        ],
        columns=list(RESULTS_COLUMNS),
    )
    return parsed, list(contract.stations), period


@pytest.mark.parametrize("name", list(METRIC_TERMS))
def test_implementation_reads_exactly_the_declared_parameters(name, registers):
    frames, stations, period = registers
    metric = METRICS[name]
    params = Recording(metric.resolved(None))
    metric.compute(frames[metric.kind], stations, period, params)
    assert params.read == {p.name for p in METRIC_TERMS[name].params}
