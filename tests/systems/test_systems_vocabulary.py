"""The indicator-system language stands on its own: loading a system needs the metric
vocabulary (data), never the register metrics (pandas code) that implement it."""

from __future__ import annotations

import subprocess
import sys

from evaluator.systems.vocabulary import (
    CONTRACT_FIELDS,
    METRIC_TERMS,
    TARGET_KEYS,
    TARGET_PREFIX,
    target_field_known,
)


def test_loading_the_language_does_not_import_the_evidence_layer():
    code = (
        "import sys\n"
        "from evaluator.shipped import shipped_system\n"
        "from evaluator.systems import load_system\n"
        "system = load_system(shipped_system('station-annual'))\n"
        "assert any(getattr(n.spec, 'measure', None) for n in system.nodes.values())\n"
        "print(sorted(m for m in sys.modules if m.startswith('evaluator.evidence')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_target_fields():
    for key in TARGET_KEYS:
        assert target_field_known(TARGET_PREFIX + key)
    for field in CONTRACT_FIELDS:
        assert target_field_known(field)
    assert not target_field_known("contract.targets.nothing")
    assert not target_field_known("staff")


def test_every_parameter_default_is_valid():
    for term in METRIC_TERMS.values():
        for param in term.params:
            assert param.check(param.default) is None, (term.name, param.name)
        assert len(term.by_param) == len(term.params)
