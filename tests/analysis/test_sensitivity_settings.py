"""``Settings.from_options``: the keyword-only way adapters build sensitivity settings."""

from __future__ import annotations

import pytest

from evaluator.analysis.sensitivity import Settings


def test_defaults_are_the_dataclass_defaults():
    assert Settings.from_options() == Settings()


def test_every_option_by_name_and_levels_as_typed():
    got = Settings.from_options(
        samples=50,
        seed=7,
        spread=0.5,
        levels="1, 2,,3",
        method="dirichlet",
        concentration=10,
        vary_aggregation=True,
        fragile=0.2,
        vary_missing=True,
    )
    assert got == Settings(50, 7, 0.5, (1, 2, 3), "dirichlet", 10.0, True, 0.2, True)
    assert isinstance(got.concentration, float)
    assert Settings.from_options(levels=[3]).levels == (3,)


def test_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        Settings.from_options(50)  # type: ignore[misc]


@pytest.mark.parametrize(
    "options",
    [
        {"samples": 1},
        {"spread": 1.0},
        {"method": "normal"},
        {"concentration": 0},
        {"levels": "1,x"},
        {"levels": (1.5,)},
        {"samples": True},
        {"samples": 10.0},
        {"spread": "0.2"},
        {"vary_missing": 1},
    ],
)
def test_bad_options_are_value_errors(options):
    with pytest.raises(ValueError):
        Settings.from_options(**options)
