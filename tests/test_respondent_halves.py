"""Halves of each unit's employees that keep their people from wave to wave (issue 34): by
key where the export has one, by role or tenure band where it is anonymous."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.panels import unit_panels
from cxex_analysis.panels.respondent_halves import not_halved, respondent_halves


def test_a_keyed_person_keeps_a_half_in_every_wave():
    rng = np.random.default_rng(1)
    people = [f"E{i}" for i in range(40)]
    frame = pd.DataFrame({"unit_id": "U1", "wave": np.repeat([1, 2, 3], 30),
                          "employee_key": np.concatenate([rng.choice(people, 30, replace=False)
                                                          for _ in range(3)])})
    frame["half"] = respondent_halves(frame)
    assert frame.groupby("employee_key")["half"].nunique().max() == 1
    per_person = frame.drop_duplicates("employee_key")["half"]
    assert abs(per_person.mean() - 0.5) <= 0.05  # the unit's people alternated


def test_anonymous_answers_are_split_by_role_evenly_and_then_by_tenure():
    """Roles dealt into two even halves over the panel (largest first); a unit where everyone
    has one role is split by tenure band; a unit of one role and one band has no halves."""
    frame = pd.DataFrame({
        "unit_id": ["A"] * 10 + ["B"] * 4 + ["C"] * 3,
        "role": ["frontline"] * 6 + ["back_office"] * 3 + ["Manager "]
                + ["frontline"] * 4 + ["frontline"] * 3,
        "tenure_band": [None] * 10 + ["<1y", "<1y", "5y+", "1-3y"] + ["5y+"] * 3})
    halves = respondent_halves(frame)
    a = halves[:10]
    assert set(a[:6]) == {0.0} and set(a[6:]) == {1.0}  # 6 frontline | 3 back office + 1 manager
    assert halves[10:14].tolist() == [0.0, 0.0, 1.0, 1.0]  # two <1y | 5y+ and 1-3y
    assert halves[14:].isna().all()


def test_an_anonymous_warehouse_gets_role_halves_and_a_keyed_one_person_halves(con):
    """The demo organisation read as if exported without its key: each unit's halves are its
    roles (a unit's frontline staff on one side in every wave), not a fresh draw; read with
    its key, each person keeps a half."""
    anonymous = unit_panels.ex_halves(con, use_keys=False)
    keyed = unit_panels.ex_halves(con)
    assert anonymous["engagement_index_a"].notna().mean() > 0.8
    assert not np.allclose(anonymous["engagement_index_a"], keyed["engagement_index_a"],
                           equal_nan=True)
    answers = con.execute("SELECT unit_id, wave, role, employee_key FROM employee_survey").df()
    by_role = answers.assign(half=respondent_halves(answers.drop(columns="employee_key")))
    assert by_role.groupby(["unit_id", "role"])["half"].nunique().max() == 1
    by_person = answers.assign(half=respondent_halves(answers))
    assert by_person.groupby(["unit_id", "employee_key"])["half"].nunique().max() == 1
    assert by_person.groupby(["unit_id", "role"])["half"].nunique().max() == 2


def test_a_score_that_cannot_be_halved_says_why_instead_of_over_correcting(con):
    """An anonymous export whose units each have one role and no tenure band has no halves
    that keep their people: the corrected links are not estimated, and say why."""
    from cxex_analysis.analyses import linkage
    from cxex_analysis.panels import linkage_panels

    panel = linkage_panels.build_panel(con)
    panel[["engagement_index_a", "engagement_index_b"]] = np.nan
    for direction in ("ex_to_cx", "cx_to_ex", "placebo"):
        row = linkage.corrected_effects(panel, direction, ["nps"]).iloc[0]
        assert np.isnan(row["estimate"]), direction
        assert "no key that follows a person" in row["method"], row["method"]
    assert not not_halved(linkage_panels.build_panel(con), "engagement_index")


def test_the_money_link_of_an_unsplittable_employee_score_says_why(demo_dir, tmp_path):
    """The same for the return-on-experience link from engagement to employee exits: an
    anonymous export in which everyone is frontline staff without a tenure band."""
    import pandas as pd

    from cxex_analysis.analyses import rox
    from cxex_analysis.store import ingest, warehouse

    data = tmp_path / "data"
    data.mkdir()
    for source in list(demo_dir.glob("*.csv")) + list(demo_dir.glob("*.yaml")):
        (data / source.name).write_bytes(source.read_bytes())
    staff = pd.read_csv(data / "employee_survey.csv", dtype=str, keep_default_na=False)
    staff.drop(columns=["employee_key", "tenure_band"]).assign(role="frontline").to_csv(
        data / "employee_survey.csv", index=False)
    ingest.ingest(data, tmp_path / "wh.duckdb")
    con = warehouse.connect(tmp_path / "wh.duckdb")
    try:
        links = rox.link_estimates(con)
    finally:
        con.close()
    exits = links[(links["estimand"] == "link") & (links["term"] == "exit_rate_per_ei")]
    assert len(exits) == 1 and exits["estimate"].isna().all()
    assert "no key that follows a person" in exits["method"].iloc[0], exits["method"].iloc[0]
