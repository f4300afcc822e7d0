import hashlib

from cxex_analysis.simulation import demo_files, demo_parameters


def small():
    return demo_parameters.DemoParameters(units_by_type={"store": 8, "branch": 6, "call_centre": 4, "team": 4},
                                   n_tiny_teams=1)


def test_same_seed_same_files(tmp_path):
    demo_files.generate(tmp_path / "a", small())
    demo_files.generate(tmp_path / "b", small())
    for name in ("units.csv", "customer_survey.csv", "employee_survey.csv", "unit_outcomes.csv",
                 "pilot_assignments.csv", "action_plans.csv", "truth.json"):
        digest = [hashlib.sha256((tmp_path / d / name).read_bytes()).hexdigest() for d in "ab"]
        assert digest[0] == digest[1], name


def test_demo_is_calibrated_to_published_magnitudes(truth):
    # Harter, Schmidt & Hayes (2002): unit-level r about 0.33 with customer outcomes, -0.30 with turnover
    realised = truth["linkage"]["realised_between_unit_correlation"]
    assert 0.2 <= realised["engagement_index_vs_nps"] <= 0.45
    assert -0.45 <= realised["engagement_index_vs_exit_rate"] <= -0.15
    counts = truth["counts"]
    assert counts["units"] == 150 and counts["waves"] == 8
    assert 90_000 <= counts["customer_responses"] <= 110_000


def test_truth_lists_every_planted_effect(truth):
    assert set(truth["linkage"]["ex_to_cx_lagged"]) == {"nps", "csat", "ces"}
    assert truth["linkage"]["cx_to_ex_lagged"]["nps"] < truth["linkage"]["ex_to_cx_lagged"]["nps"]
    for pilot in ("P1", "P2"):
        att = truth["pilots"][pilot]["att"]
        assert att["nps"] > 0 and att["engagement_index"] > 0  # pilots improve both
    # P2's effect grows with time since start (why two-way fixed effects is biased there)
    path = truth["pilots"]["P2"]["att_event_time"]["nps"]
    assert path["9"] > path["0"] + 2
    assert truth["small_units"]
    assert truth["comments"]["html_comment_response_id"]
