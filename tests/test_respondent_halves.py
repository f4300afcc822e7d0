"""Halves of each unit's employees that keep their people from wave to wave (issue 34): by
key where the export has one, by role or tenure band where it is anonymous."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxex_analysis.panels import unit_panels
from cxex_analysis.panels.respondent_halves import respondent_halves
from cxex_analysis.store import warehouse


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


def test_an_anonymous_warehouse_gets_role_halves_and_a_keyed_one_person_halves(demo_dir, tmp_path):
    """The demo organisation exported without its key: each unit's halves are its roles (the
    same respondents in every wave's half A), not a fresh draw."""
    from cxex_analysis.store import ingest

    data = tmp_path / "data"
    data.mkdir()
    for source in demo_dir.glob("*.csv"):
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        if source.name == "employee_survey.csv":
            frame = frame.drop(columns="employee_key")
        frame.to_csv(data / source.name, index=False)
    for source in demo_dir.glob("*.yaml"):
        (data / source.name).write_bytes(source.read_bytes())
    ingest.ingest(data, tmp_path / "wh.duckdb")
    con = warehouse.connect(tmp_path / "wh.duckdb")
    try:
        halves = unit_panels.ex_halves(con)
        answers = con.execute("SELECT unit_id, wave, role FROM employee_survey").df()
    finally:
        con.close()
    assert halves["engagement_index_a"].notna().mean() > 0.8
    # the frontline staff of a unit are on one side in every wave
    split = respondent_halves(answers)
    side = answers.assign(half=split).groupby(["unit_id", "role"])["half"].nunique()
    assert side.max() == 1
