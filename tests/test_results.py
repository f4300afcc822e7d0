import json

import numpy as np
import pandas as pd
import pytest

from cxex_analysis import results
from cxex_analysis.errors import ParameterError


def frame():
    return results.tidy([{"analysis": "metrics", "estimand": "metric_level", "subject": "all",
                          "outcome": "nps", "term": "level", "estimate": 1.5, "se": np.nan,
                          "ci_low": 1.0, "ci_high": 2.0, "confidence": 0.95, "n": 10,
                          "method": "x", "region": "North"}])


def test_records_have_exactly_the_schema_keys(tmp_path):
    path = results.write_json([frame(), frame()], tmp_path / "results.json")
    records = json.loads(path.read_text())
    assert len(records) == 2
    assert list(records[0]) == list(results.SCHEMA)
    assert records[0]["se"] is None and records[0]["p_value"] is None  # NaN -> null
    back = results.read_json(path)
    assert back["estimate"].tolist() == [1.5, 1.5]


def test_validate_rejects_frames_without_the_schema():
    with pytest.raises(ParameterError, match="lacks the tidy-schema column"):
        results.to_records(pd.DataFrame({"estimate": [1.0]}))
    bad = frame()
    bad["analysis"] = ""
    with pytest.raises(ParameterError, match="`analysis` is blank"):
        results.to_records(bad)


def test_record_outside_a_notebook_keeps_rows_in_process():
    before = len(results.recorded())
    results.record(frame(), "test")
    assert len(results.recorded()) == before + 1
    assert "region" not in results.recorded().columns


def test_lookup():
    res = frame()
    assert len(results.lookup(res, outcome="nps")) == 1
    with pytest.raises(ParameterError):
        results.lookup(res, colour="red")


def test_a_part_the_data_cannot_support_keeps_its_reason_and_a_bad_argument_propagates():
    """How a notebook section adds its part to a typed result (Linkage.with_part): a value
    (or two, for two parts), the data's reason in words, or the caller's mistake raised."""
    from cxex_analysis.analyses.linkage_result import Linkage
    from cxex_analysis.errors import InsufficientData

    def too_few(units):
        raise InsufficientData(f"only {units} units, and at least 4 are needed.")

    def bad(level):
        raise ParameterError(f"`confidence` must be between 0 and 1, but {level} was passed.")

    start = Linkage(outcomes=("nps",))
    rows = results.tidy([{"analysis": "linkage", "estimand": "ex_cx_correlation",
                          "estimate": 0.4, "n": 30}])
    found = start.with_part("correlations", lambda frame: frame, rows)
    assert found.correlations is rows and start.correlations is None  # a copy, not a change
    found = found.with_part("mediation", too_few, 3)
    assert found.mediation is None
    assert found.not_estimated == {"mediation": "only 3 units, and at least 4 are needed."}
    found = found.with_part(("weights", "importance"), lambda: (rows, {"nps": rows}))
    assert found.weights is rows and found.importance == {"nps": rows}
    assert found.with_part("dual", lambda: None) is found
    with pytest.raises(ParameterError, match="must be between 0 and 1"):
        found.with_part("effects", bad, 1.5)
    assert list(found.estimates()["estimand"]) == ["ex_cx_correlation", "ex_cx_correlation"]
