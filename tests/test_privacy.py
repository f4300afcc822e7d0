"""Confidentiality: small groups, differencing, comments, PII, exports."""

from cxex_analysis import privacy
from cxex_analysis.analyses import groups
from cxex_analysis.panels import group_scores
from cxex_analysis.privacy import mask_pii, safe_text
from cxex_analysis.reporting import export


def test_pii_is_masked():
    text = ("Mail jane.doe@example.com or call 07700 900123 or +44 20 7946 0018; "
            "card 4111 1111 1111 1111; order 12345 on 2025-03-31")
    masked = mask_pii(text)
    assert "jane.doe" not in masked and "07700" not in masked and "4111" not in masked
    assert "[email]" in masked and "[phone]" in masked and "[card]" in masked
    assert "order 12345" in masked and "2025-03-31" in masked  # short numbers and dates stay


def test_safe_text_escapes_html_after_masking():
    out = safe_text("<script>alert('x')</script> mail a@b.co")
    assert "<script>" not in out and "&lt;script&gt;" in out and "[email]" in out
    assert safe_text(None) == ""


# ------------------------------------------------------------------ an organisation designed to leak



def test_subtraction_from_the_parent_is_blocked():
    # parent 20 = A 12 + B 5 + C 3. C is small and hidden; showing A, B and the parent would
    # give C as 20 - 12 - 5 = 3 people's result. B must be hidden too.
    assert privacy.hidden_groups({"A": 12, "B": 5, "C": 3}, 20, 5) == {"B", "C"}
    # the remainder of the parent (people in no listed subgroup) counts as a hidden group too
    assert privacy.hidden_groups({"A": 12, "B": 6}, 20, 5) == {"B"}
    # nothing to protect: all big and the rest is empty or large
    assert privacy.hidden_groups({"A": 12, "B": 8}, 20, 5) == set()
    assert privacy.hidden_groups({"A": 12, "B": 8}, None, 5) == set()


def test_unit_reports_cannot_be_differenced_from_region_or_type_reports(con):

    hidden = group_scores.hidden_by_subtraction(con, "unit", 5)
    counts = con.execute("""
        SELECT u.unit_id, u.region, u.unit_type, count(*) AS n FROM employee_survey e
        JOIN units u USING (unit_id) WHERE e.wave = (SELECT max(wave) FROM employee_survey)
        GROUP BY ALL""").df()
    assert (counts.loc[counts["n"] < 5, "unit_id"].isin(hidden)).all()
    for parent in ("region", "unit_type"):
        for _, siblings in counts.groupby(parent):
            shown = siblings[~siblings["unit_id"].isin(hidden)]
            remainder = siblings["n"].sum() - shown["n"].sum()
            assert remainder == 0 or remainder >= 5, (parent, siblings)


def test_comments_need_ten_respondents_even_when_numbers_show(con):

    counts = con.execute("""
        SELECT unit_id, count(*) AS n FROM employee_survey
        WHERE wave = (SELECT max(wave) FROM employee_survey) GROUP BY ALL""").df()
    hidden = group_scores.hidden_by_subtraction(con, "unit", 5)
    candidates = counts[(counts["n"] >= 5) & (counts["n"] < 10) & ~counts["unit_id"].isin(hidden)]
    assert len(candidates), "the demo has units of 5-9 respondents"
    data = groups.report_data(con, "unit", candidates["unit_id"].iloc[0])
    assert data.ex_shown
    assert data.employee_comments.empty
    assert any("comments are not shown" in note for note in data.notes)


def test_spreadsheet_exports_cannot_run_formulas(tmp_path):
    import pandas as pd


    frame = pd.DataFrame({"comment": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "fine"],
                          "score": [-1, 2, 3, 4, 5]})
    path = export.to_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(path)
    assert back["comment"].tolist()[:4] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'@SUM(A1)"]
    assert back["comment"].iloc[4] == "fine" and back["score"].tolist() == [-1, 2, 3, 4, 5]
    xlsx = export.to_excel(frame, tmp_path / "out.xlsx")
    assert pd.read_excel(xlsx)["comment"].iloc[0].startswith("'=")


# ------------------------------------------------------------------ the heatmap of groups

def _leaky_heatmap_folder(folder):
    """Regions A (12 respondents), B (5) and C (a team of 3), one unit each, all stores: C is
    too small, and B would give C away as company minus A minus B."""
    import numpy as np

    from .conftest import write_folder

    rng = np.random.default_rng(7)
    units = "unit_id,unit_name,region,unit_type\nA1,Alpha,A,store\nB1,Beta,B,store\nC1,Gamma,C,store\n"
    rows = ["response_id,wave,unit_id,role,enps,eng_tools,eng_manager,eng_growth"]
    for unit, size in (("A1", 12), ("B1", 5), ("C1", 3)):
        for i in range(size):
            answers = ",".join(str(v) for v in rng.integers(1, 6, 3))
            rows.append(f"{unit}-{i},2025-06-30,{unit},frontline,{rng.integers(0, 11)},{answers}")
    return write_folder(folder, {"units.csv": units, "employee_survey.csv": "\n".join(rows) + "\n"})


def test_the_heatmap_hides_a_team_of_3_and_the_group_that_would_give_it_away(tmp_path):
    import numpy as np

    from cxex_analysis.analyses import heatmap
    from cxex_analysis.reporting import group_charts
    from cxex_analysis.store import ingest, warehouse

    target = tmp_path / "w.duckdb"
    ingest.ingest(_leaky_heatmap_folder(tmp_path / "data"), target)
    con = warehouse.connect(target)
    for group_by, hidden, shown in (("region", {"B", "C"}, "A"), ("unit", {"B1", "C1"}, "A1")):
        cells = heatmap.group_scores(con, group_by, min_group_size=5)
        grid, company, se = heatmap.matrix(cells, group_by)
        assert set(grid.index) == {shown} | hidden  # hidden groups keep their row …
        assert grid.loc[sorted(hidden)].isna().all().all()  # … with every cell empty
        assert grid.loc[shown].notna().all()
        rows = cells[cells["subject"].isin([f"{group_by}={g}" for g in hidden])]
        assert rows[["estimate", "ci_low", "ci_high", "n"]].isna().all().all()
        assert rows["method"].str.startswith("suppressed").all()
        # the company row is the whole company (20 people), not the shown groups
        assert cells.loc[(cells["subject"] == "all") & (cells["outcome"] == "engagement_index"),
                         "n"].iloc[0] == 20
        assert se.loc[shown].gt(0).all() and se.loc[sorted(hidden)].isna().all().all()
        figure = group_charts.group_heatmap(grid, company, se, "Where each group stands", group_by)
        texts = [t.get_text() for t in figure.axes[0].texts]
        assert texts.count("hidden") == len(hidden) * grid.shape[1]
        assert np.isfinite(company.to_numpy()).all()
    con.close()


# ------------------------------------------------- no number lets a hidden group be worked out

def _waves_folder(folder):
    """Two waves. In the first, region C (one team) has 3 respondents: hidden, and region A
    would give it away as company minus A minus B, so A's first wave is hidden too; in the
    second every region is large. Units: A1, A2 (region A), B1, C1; stores and teams."""
    import numpy as np

    from .conftest import write_folder

    rng = np.random.default_rng(5)
    units = ("unit_id,unit_name,region,unit_type\nA1,Alpha,A,store\nA2,Alder,A,team\n"
             "B1,Beta,B,store\nC1,Gamma,C,team\n")
    sizes = {"2025-03-31": {"A1": 15, "A2": 15, "B1": 30, "C1": 3},
             "2025-06-30": {"A1": 15, "A2": 15, "B1": 30, "C1": 20}}
    rows = ["response_id,wave,unit_id,role,enps,eng_tools,eng_manager,eng_growth"]
    for wave, by_unit in sizes.items():
        for unit, size in by_unit.items():
            for i in range(size):
                answers = ",".join(str(v) for v in rng.integers(1, 6, 3))
                rows.append(f"{unit}-{wave}-{i},{wave},{unit},frontline,{rng.integers(0, 11)},{answers}")
    return write_folder(folder, {"units.csv": units, "employee_survey.csv": "\n".join(rows) + "\n"})


def _what_readers_see(con, k: int) -> set:
    """Every (group, wave) whose engagement a reader of the reports can read or work out from
    one report: trends and scorecards of every region, unit type and unit report, the
    heatmaps, the changes since the last survey and the alerts (a change shown beside the
    latest level gives the previous one)."""
    import pandas as pd

    from cxex_analysis.analyses import changes, groups, heatmap
    from cxex_analysis.panels import coverage
    from cxex_analysis.panels.group_scores import list_groups

    seen, moved = set(), set()
    waves = [w for (w,) in con.execute("SELECT DISTINCT wave FROM employee_survey ORDER BY 1").fetchall()]
    for group_by in ("region", "unit_type", "unit"):
        for group in list_groups(con, group_by):
            data = groups.report_data(con, group_by, group, min_group_size=k)
            key = "unit" if group_by == "unit" else group_by
            trend = data.ex_trend
            if len(trend):
                shown = trend[(trend["metric"] == "engagement_index") & trend["value"].notna()]
                for series, wave in zip(shown["series"], shown["period"]):
                    seen.add(("company", "", pd.Timestamp(wave)) if series == "company"
                             else (key, group, pd.Timestamp(wave)))
            employees, _ = groups.recent_answers(con, data)
            found = changes.since_last_survey(employees, None, 0.95, k)
            if len(found) and (found["outcome"] == "engagement_index").any():
                moved.add((key, group))
        cells = heatmap.group_scores(con, group_by, min_group_size=k)
        for row in cells[(cells["outcome"] == "engagement_index") & cells["estimate"].notna()].itertuples():
            name, _, value = row.subject.partition("=")
            seen.add(("company", "", pd.Timestamp(waves[-1])) if row.subject == "all"
                     else ("unit" if name == "unit" else name, value, pd.Timestamp(waves[-1])))
    employees, _ = coverage.responses(con)
    for row in changes.alerts(employees, None, {}, min_group_size=k).itertuples():
        if row.outcome == "engagement_index" and row.level != "company":
            moved.add(("unit" if row.level == "unit_id" else row.level, row.subject.split("=")[1]))
    for key, group in moved:  # a change beside the latest level gives the previous level
        if (key, group, pd.Timestamp(waves[-1])) in seen:
            seen.add((key, group, pd.Timestamp(waves[-2])))
    return seen


def _leaks(con, seen: set, k: int) -> list:
    """The (family, wave) where a shown parent less its shown children leaves one hidden
    group, or hidden groups of fewer than ``k`` people together: their score worked out."""
    import pandas as pd

    counts = con.execute("SELECT e.wave, u.unit_id, u.region, u.unit_type, count(*) AS n "
                         "FROM employee_survey e JOIN units u USING (unit_id) GROUP BY ALL").df()
    found = []
    for wave, part in counts.groupby("wave"):
        wave = pd.Timestamp(wave)
        families = [(("company", ""), {("region", r): n for r, n in part.groupby("region")["n"].sum().items()}),
                    (("company", ""), {("unit_type", t): n for t, n in part.groupby("unit_type")["n"].sum().items()})]
        for parent in ("region", "unit_type"):
            for value, units in part.groupby(parent):
                families.append(((parent, value), {("unit", u): n for u, n in zip(units["unit_id"], units["n"])}))
        for (pkey, pgroup), children in families:
            if (pkey, pgroup, wave) not in seen:
                continue
            hidden = {c: n for c, n in children.items() if (c[0], c[1], wave) not in seen and n > 0}
            if len(hidden) == 1 or 0 < sum(hidden.values()) < k:
                found.append((pkey, pgroup, str(wave.date()), sorted(hidden)))
    return found


def test_no_number_in_any_report_lets_a_hidden_groups_score_be_worked_out(tmp_path):
    """Region C's first wave (3 people) stays hidden everywhere a reader looks: region A's
    trend, scorecard and changes leave out the wave in which A would give C away."""
    from cxex_analysis.analyses import groups
    from cxex_analysis.store import ingest, warehouse

    target = tmp_path / "w.duckdb"
    ingest.ingest(_waves_folder(tmp_path / "data"), target)
    con = warehouse.connect(target)
    seen = _what_readers_see(con, 5)
    assert ("region", "B", pd_stamp("2025-03-31")) in seen  # what may be shown is shown
    assert ("region", "A", pd_stamp("2025-06-30")) in seen
    assert ("region", "A", pd_stamp("2025-03-31")) not in seen
    assert _leaks(con, seen, 5) == []
    region_a = groups.report_data(con, "region", "A", min_group_size=5)
    assert region_a.ex_shown and not region_a.ex_changes_shown
    previous = region_a.scorecard.set_index("metric").loc["Engagement index (0-100)", "previous period"]
    assert previous != previous  # NaN: the wave A would give C away in
    assert any("previous survey" in note for note in region_a.notes)
    con.close()


def pd_stamp(text: str):
    import pandas as pd

    return pd.Timestamp(text)


def test_a_heatmap_of_measures_it_does_not_show_is_empty_not_an_error(tmp_path):
    """A platform's export of customer effort alone (drawn by make fuzz: WorldSpec seed
    168893) stopped the data audit; its heatmap is now empty and says so."""
    from cxex_analysis.analyses import heatmap
    from cxex_analysis.simulation.worlds import WorldSpec, write_world
    from cxex_analysis.store import ingest, warehouse

    write_world(WorldSpec(seed=168893, units=5, regions=5, months=3, employee_waves="none",
                          customer_scores=("ces",), export="scores", outcomes=False),
                tmp_path / "data")
    ingest.ingest(tmp_path / "data", tmp_path / "w.duckdb")
    con = warehouse.connect(tmp_path / "w.duckdb")
    cells = heatmap.group_scores(con, "region", 0.95, 5)
    grid, company, se = heatmap.matrix(cells, "region")
    assert cells.empty and grid.empty and company.empty
    con.close()
