"""The warehouse, on both back ends: the embedded DuckDB file and a PostgreSQL server.

Every test that takes ``target`` or ``demo_target`` runs once per back end (the PostgreSQL
server is started by the ``postgres_url`` fixture in conftest.py).
"""

import uuid

import numpy as np
import pandas as pd
import pytest

from cxex_analysis.config import paths
from cxex_analysis.errors import CxexError, UnusableFileError
from cxex_analysis.panels import action_panels, coverage, unit_panels
from cxex_analysis.run import runner
from cxex_analysis.store import ingest, postgres, warehouse

BACK_ENDS = ["duckdb", "postgres"]


@pytest.fixture(params=BACK_ENDS)
def target(request, tmp_path):
    """An empty warehouse: a DuckDB file, or a fresh schema of the test PostgreSQL server."""
    if request.param == "duckdb":
        return tmp_path / "w.duckdb"
    url = request.getfixturevalue("postgres_url")
    return f"{url}?schema=t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def demo_postgres(demo_dir, postgres_url):
    url = f"{postgres_url}?schema=demo"
    ingest.ingest(demo_dir, url)
    return url


@pytest.fixture(params=BACK_ENDS)
def demo_target(request, demo_warehouse):
    return demo_warehouse if request.param == "duckdb" else request.getfixturevalue("demo_postgres")


@pytest.fixture()
def wcon(demo_target):
    connection = warehouse.connect(demo_target)
    yield connection
    connection.close()


def count(target, table):
    con = warehouse.connect(target)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_failed_ingest_leaves_the_warehouse_as_it_was(small_folder, target):
    folder = small_folder()
    ingest.ingest(folder, target)
    (folder / "units.csv").write_text("unit_id,unit_type\nU1,store\n")  # region missing
    with pytest.raises(UnusableFileError, match="region"):
        ingest.ingest(folder, target)
    assert count(target, "units") == 2
    assert count(target, "customer_survey") == 3


def test_reingest_replaces_rows_and_never_duplicates(small_folder, target):
    folder = small_folder()
    ingest.ingest(folder, target)
    ingest.ingest(folder, target)
    assert count(target, "customer_survey") == 3


def test_customer_outcomes_load_typed_on_both_back_ends(small_folder, target):
    """The CRM's customer-months (issue 36) reach either warehouse with their types: a month,
    money, a yes/no, a date; the row that breaks a rule is held back on both."""
    outcomes = ("customer_key,unit_id,period,revenue,active,churned_on,contacts\n"
                "K1,U1,2025-01-01,30.5,yes,,1\n"
                "K1,U1,2025-02-01,12,no,2025-02-10,0\n"
                "K2,U2,2025-01-01,-3,yes,,0\n")
    ingest.ingest(small_folder(extra={"customer_outcomes.csv": outcomes}), target)
    con = warehouse.connect(target)
    try:
        rows = con.execute("SELECT customer_key, period, revenue, active, churned_on, contacts "
                           "FROM customer_outcomes ORDER BY period").fetchall()
    finally:
        con.close()
    assert [(k, str(p)[:10], float(r), bool(a), None if c is None else str(c)[:10], int(n))
            for k, p, r, a, c, n in rows] == [("K1", "2025-01-01", 30.5, True, None, 1),
                                               ("K1", "2025-02-01", 12.0, False, "2025-02-10", 0)]


def test_platform_scores_and_own_metrics_load_typed_on_both_back_ends(small_folder, target):
    """A platform's unit-level scores and the organisation's own metrics (issue 37) reach
    either warehouse with their types, a half-year period among them."""
    scores = ("unit_id,period,measure,value,n,sd\n"
              "U1,2024-07-01,engagement,72.5,40,14.2\n"
              "U2,2024-01-01,enps,-8,25,\n")
    metrics = "unit_id,period,metric,value,better\nU1,2024-01-01,readmission index,0.92,lower\n"
    ingest.ingest(small_folder(extra={"employee_scores.csv": scores,
                                      "unit_metrics.csv": metrics}), target)
    con = warehouse.connect(target)
    try:
        got = con.execute("SELECT unit_id, period, measure, value, n, sd FROM employee_scores "
                          "ORDER BY period").fetchall()
        own = con.execute("SELECT metric, value, better FROM unit_metrics").fetchall()
    finally:
        con.close()
    assert [(u, str(p)[:10], m, float(v), int(n), None if sd is None else float(sd))
            for u, p, m, v, n, sd in got] == [("U2", "2024-01-01", "enps", -8.0, 25, None),
                                              ("U1", "2024-07-01", "engagement", 72.5, 40, 14.2)]
    assert [(m, float(v), b) for m, v, b in own] == [("readmission index", 0.92, "lower")]


def test_tables_absent_from_a_new_ingest_are_removed(small_folder, target):
    folder = small_folder(extra={"unit_outcomes.csv": "unit_id,period,revenue\nU1,2025-01-01,10\n"})
    ingest.ingest(folder, target)
    con = warehouse.connect(target)
    assert warehouse.has_table(con, "unit_outcomes")
    con.close()
    (folder / "unit_outcomes.csv").unlink()
    ingest.ingest(folder, target)
    con = warehouse.connect(target)
    assert not warehouse.has_table(con, "unit_outcomes")
    con.close()


def test_quarantined_rows_are_kept_with_their_reason(small_folder, target):
    folder = small_folder(customer_rows=[
        "C1,2025-01-05T10:00:00Z,U1,store,9,5,6,Great",
        "C2,2025-01-06T11:00:00Z,U9,phone,3,2,2,Unknown unit",
        "C3,2025-02-07T12:00:00Z,U1,web,12,,,Out of range"])
    report = ingest.ingest(folder, target)
    table = report.tables["customer_survey"]
    assert (table.rows_read, table.rows_accepted, table.rows_quarantined) == (3, 1, 2)
    con = warehouse.connect(target)
    try:
        rows = con.execute("SELECT row, column_name, reason FROM quarantine "
                           "WHERE table_name = 'customer_survey' ORDER BY row").fetchall()
        accounting = con.execute("SELECT rows_read, rows_accepted, rows_quarantined FROM ingest_files "
                                 "WHERE \"table\" = ?", ["customer_survey"]).fetchone()
    finally:
        con.close()
    assert [r[0] for r in rows] == [3, 4] and rows[0][1] == "unit_id" and rows[1][1] == "nps"
    assert tuple(accounting) == (3, 1, 2)


def test_text_survives_the_round_trip(small_folder, target):
    comment = 'She said "fine", then left; <b>bold</b>, 100% sure\nnew line, é ü 中文'
    quoted = '"' + comment.replace('"', '""') + '"'
    folder = small_folder(customer_rows=[f"C1,2025-01-05T10:00:00Z,U1,store,9,5,6,{quoted}",
                                         "C2,2025-01-06T11:00:00Z,U2,phone,3,2,2,"])
    ingest.ingest(folder, target)
    con = warehouse.connect(target)
    try:
        got = con.execute("SELECT response_id, comment, responded_at FROM customer_survey "
                          "ORDER BY response_id").df()
    finally:
        con.close()
    assert got["comment"].iloc[0] == comment
    assert pd.isna(got["comment"].iloc[1])  # a blank stays blank (NULL), not ''
    assert got["responded_at"].iloc[0] == pd.Timestamp("2025-01-05 10:00:00")



def test_control_characters_are_quarantined_and_bidi_overrides_shown_on_both_back_ends(
        small_folder, target):
    """One NUL byte in a comment stopped a PostgreSQL ingest (exit 3) while DuckDB kept it;
    a right-to-left override passed into the reports and reordered what they show."""
    folder = small_folder(customer_rows=["C1,2025-01-05T10:00:00Z,U1,store,9,5,6,fine",
                                         "C2,2025-01-06T11:00:00Z,U2,phone,3,2,2,bad\x00byte",
                                         "C3,2025-01-06T11:00:00Z,U2,phone,3,2,2,bell\x07",
                                         "C4,2025-01-06T11:00:00Z,U2,phone,3,2,2,see \u202etxt.exe"])
    report = ingest.ingest(folder, target)
    con = warehouse.connect(target)
    try:
        kept = con.execute("SELECT response_id, comment FROM customer_survey "
                           "ORDER BY response_id").fetchall()
        bad = con.execute("SELECT \"row\", column_name, reason, value FROM quarantine "
                          "ORDER BY \"row\"").fetchall()
    finally:
        con.close()
    assert kept == [("C1", "fine"), ("C4", "see �txt.exe")]
    assert [(r[0], r[1]) for r in bad] == [(3, "comment"), (4, "comment")]
    assert all("control character" in r[2] for r in bad) and bad[0][3] == "bad�byte"
    assert report.tables["customer_survey"].rows_quarantined == 2

def test_connect_to_a_missing_warehouse_says_how_to_make_one(tmp_path):
    with pytest.raises(CxexError, match="cxex ingest"):
        warehouse.connect(tmp_path / "none.duckdb")


def test_unreachable_postgres_is_a_clear_error_without_the_password():
    url = "postgresql://analyst:s3cret@127.0.0.1:1/cxex"
    with pytest.raises(CxexError, match="cannot connect to PostgreSQL") as caught:
        warehouse.connect(url)
    assert "s3cret" not in str(caught.value) and "analyst:***@127.0.0.1:1" in str(caught.value)



URLS_WITH_A_PASSWORD = [  # (as written, without the password, redacted)
    ("postgresql://cxex:Zx9!secret@db.example:5432/cx",
     "postgresql://cxex@db.example:5432/cx", "postgresql://cxex:***@db.example:5432/cx"),
    ("postgresql://cxex@db.example/cx?password=Zx9!secret&schema=s",
     "postgresql://cxex@db.example/cx?schema=s", "postgresql://cxex@db.example/cx?password=***&schema=s"),
    ("postgresql://cxex@db.example/cx?schema=s&password=Zx9!secret",
     "postgresql://cxex@db.example/cx?schema=s", "postgresql://cxex@db.example/cx?schema=s&password=***"),
    ("postgresql://:Zx9!secret@db.example/cx",
     "postgresql://db.example/cx", "postgresql://:***@db.example/cx"),
    ("postgresql://cxex:Zx9@secret@db.example/cx",  # a raw @ in the password
     "postgresql://cxex@db.example/cx", "postgresql://cxex:***@db.example/cx"),
    ("postgresql://cxex:Zx9%40secret@db.example/cx",  # percent-encoded
     "postgresql://cxex@db.example/cx", "postgresql://cxex:***@db.example/cx"),
]


@pytest.mark.parametrize("url,bare,shown", URLS_WITH_A_PASSWORD)
def test_one_parser_finds_and_hides_the_password_of_a_url(url, bare, shown, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "")  # resolved() moves the password there
    assert postgres.without_password(url)[0] == bare
    assert postgres.without_password(url)[1] in ("Zx9!secret", "Zx9@secret")
    assert postgres.redact(url) == shown
    assert warehouse.Warehouse.parse(url).describe() == shown
    assert str(warehouse.Warehouse.parse(url).resolved()) == bare


@pytest.mark.parametrize("url", [u.replace("db.example", "127.0.0.1:1").replace(":5432", "")
                                 for u, _, _ in URLS_WITH_A_PASSWORD]
                         + ["postgresql://cxex:Zx9secret@127.0.0.1:port/cx"])
def test_no_connection_error_shows_any_part_of_the_password(url):
    with pytest.raises(CxexError) as caught:
        warehouse.connect(url)
    message = str(caught.value)
    assert not any(piece in message for piece in ("Zx9", "secret")), message
    assert "cannot connect to PostgreSQL" in message or "port" in message

def test_urls_and_paths_are_told_apart():
    assert postgres.is_url("postgresql://u@h/db") and postgres.is_url("postgresql+psycopg://u@h/db")
    assert not postgres.is_url("data/warehouse.duckdb") and not postgres.is_url(None)
    assert postgres.without_password("postgresql://u:p%40ss@h:5/db") == ("postgresql://u@h:5/db", "p@ss")
    with pytest.raises(CxexError, match="schema"):
        warehouse.connect("postgresql://u@127.0.0.1:1/db?schema=bad;name")


def test_item_view_has_one_row_per_answer(wcon):
    items = warehouse.engagement_items(wcon)
    assert len(items) == 7
    answers = wcon.execute("SELECT count(*) FROM employee_item_responses").fetchone()[0]
    non_blank = wcon.execute("SELECT " + " + ".join(f"count({i})" for i in items)
                             + " FROM employee_survey").fetchone()[0]
    assert answers == non_blank


def test_ingest_log_records_file_hashes(wcon):
    rows = wcon.execute("SELECT \"table\", sha256, rows_read FROM ingest_files WHERE status='ok'").fetchall()
    assert len(rows) == 10 and all(len(r[1]) == 64 for r in rows)  # the demo's 10 files
    assert {"customer_outcomes", "unit_metrics"} <= {r[0] for r in rows}


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-9,
                                       err_msg=column)
        elif pd.api.types.is_datetime64_any_dtype(a):
            a, b = pd.to_datetime(a), pd.to_datetime(b)
            assert ((a == b) | (a.isna() & b.isna())).all(), column
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), column


@pytest.mark.parametrize("build", [
    lambda c: unit_panels.ex_panel(c), lambda c: unit_panels.cx_panel(c, "month"),
    lambda c: unit_panels.cx_panel(c, "quarter"), lambda c: unit_panels.outcomes_panel(c, "month"),
    lambda c: unit_panels.outcomes_panel(c, "quarter"), lambda c: unit_panels.unit_panel(c),
    lambda c: coverage.coverage(c, "quarter").sort_values(["source", "unit_id", "period"],
                                                        ignore_index=True),
    lambda c: unit_panels.ex_halves(c), lambda c: unit_panels.cx_halves(c, "quarter"),
    lambda c: action_panels.action_plans(c),
    lambda c: action_panels.focus_answers(c, ["U001", "U002", "U003"], "eng_tools", "2024-10-15"),
    lambda c: action_panels.focus_answers(c, ["U001", "U002", "U003"], "nps", "2024-10-15"),
], ids=["ex", "cx_month", "cx_quarter", "outcomes_month", "outcomes_quarter", "unit", "coverage",
        "ex_halves", "cx_halves", "action_plans", "focus_items", "focus_nps"])
def test_panels_are_the_same_on_both_back_ends(demo_warehouse, demo_postgres, build):
    duck = warehouse.connect(demo_warehouse)
    pg = warehouse.connect(demo_postgres)
    try:
        _same(build(duck), build(pg))
    finally:
        duck.close()
        pg.close()


def test_panel_values_are_the_metric_definitions(wcon):
    """NPS and its SE from the panel equal a count by hand, on either back end."""
    cx = unit_panels.cx_panel(wcon, "quarter")
    raw = wcon.execute("SELECT unit_id, responded_at, nps FROM customer_survey").df()
    first = cx.iloc[0]
    part = raw[(raw["unit_id"] == first["unit_id"])
               & (raw["responded_at"].dt.to_period("Q").dt.start_time == first["period"])]["nps"].dropna()
    p, d = (part >= 9).mean(), (part <= 6).mean()
    assert first["nps"] == pytest.approx(100 * (p - d))
    assert first["nps_se"] == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / len(part)))


@pytest.mark.e2e
def test_the_whole_suite_gives_the_same_results_on_postgres(demo_run, demo_postgres, tmp_path):
    """Every notebook on the PostgreSQL warehouse: the same records as on DuckDB."""

    from .conftest import same_results

    out, duck = demo_run
    result = runner.run(demo_postgres, tmp_path, progress=None)
    assert result.ok, [n.error for n in result.notebooks if n.error]
    assert [n.name for n in result.notebooks] == [n.name for n in duck.notebooks]
    same_results(duck.run_dir / "results.json", result.run_dir / "results.json")
    manifest = (result.run_dir / "manifest.json").read_text()
    assert "schema=demo" in manifest and "postgresql://" in manifest


@pytest.mark.e2e
@pytest.mark.parametrize("written", ["user part", "query"])
def test_a_password_in_the_url_reaches_no_report_or_manifest(demo_postgres, tmp_path, monkeypatch,
                                                             written):
    """Trust authentication ignores the password, so a made-up one shows where it would leak
    (``?password=`` reached the manifest twice and the published notebook)."""

    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = (demo_postgres.replace("postgresql://cxex@", "postgresql://cxex:Tr0ub4dor@")
           if written == "user part" else demo_postgres + "&password=Tr0ub4dor")
    only = [paths().notebooks / "00_data_audit.ipynb"]
    result = runner.run(url, tmp_path, only, progress=None)
    assert result.ok, [n.error for n in result.notebooks if n.error]
    for path in result.run_dir.rglob("*"):
        if path.is_file():
            assert "Tr0ub4dor" not in path.read_text(errors="replace"), path.name
