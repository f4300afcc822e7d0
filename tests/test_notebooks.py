"""The notebooks run end to end through the runner (papermill) and publish clean HTML."""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser

import pytest

from cxex_analysis import results
from cxex_analysis.analyses import claims
from cxex_analysis.errors import ParameterError
from cxex_analysis.reporting import show, summary
from cxex_analysis.run import parameters, runner

from .conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture()
def run(demo_run):
    return demo_run


def test_every_notebook_succeeds_and_latest_points_at_the_run(run):
    out, result = run
    assert result.ok, [n.error for n in result.notebooks]
    names = [n.name for n in result.notebooks]
    assert "01_ex_cx_linkage" in names
    assert {"02_pilot_analysis-P1", "02_pilot_analysis-P2"} <= set(names)  # one run per pilot
    assert (out / "latest").resolve() == result.run_dir.resolve()
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["inputs"]


def test_results_json_has_exactly_the_schema_keys(run, truth):
    _, result = run
    records = json.loads((result.run_dir / "results.json").read_text())
    assert records
    claims = [r for r in records if r["estimand"] == "claim"]
    assert all(list(r) == list(results.SCHEMA) for r in records
               if r["estimand"] not in results.RECORDED_EXTRAS)
    # the claims ledger: every claim, with its verdict and evidence grade
    assert all(list(r) == [*results.SCHEMA, *results.RECORDED_EXTRAS["claim"]] for r in claims)
    assert [r["subject"] for r in claims] == [
        "recommend_5x", "top_cx_engagement_5x", "harter_engagement_cx_r", "roi_above_9000pct",
        "heskett_retention_profit", "most_actionable_metric", "right_first_time",
        "promoters_stay"]
    tested = {r["subject"]: r for r in claims if r["estimate"] is not None}
    # on the demo every claim has its number, interval and verdict, or says what stopped it
    # (the poll's claim needs CSAT's change within units to stand out of its survey noise)
    assert len(tested) >= 6, [r["method"] for r in claims if r["estimate"] is None]
    for untested in (r for r in claims if r["estimate"] is None):
        assert untested["subject"] == "most_actionable_metric", untested
        assert untested["method"].startswith("not tested: CSAT could not be compared: "), untested
    assert all(r["ci_low"] <= r["estimate"] <= r["ci_high"] for r in tested.values())
    assert tested["right_first_time"]["ci_low"] > 0  # planted: resolved customers happier
    assert tested["promoters_stay"]["verdict"] == "supported"  # planted: leaving follows the answer
    assert tested["roi_above_9000pct"]["subject"] == "roi_above_9000pct"
    audit = [r for r in records if r["analysis"] == "metrics" and r["subject"] == "all"
             and r["outcome"] == "nps" and r["estimand"] == "metric_level"]
    assert audit and audit[0]["ci_low"] < audit[0]["estimate"] < audit[0]["ci_high"]
    ids = {(r["analysis"], r["estimand"]) for r in records}
    for required in [("linkage", "ex_to_cx_lagged"), ("linkage", "cx_to_ex_lagged"),
                     ("linkage", "ex_cx_correlation"), ("linkage", "mediation_indirect"),
                     ("linkage", "top_cx_engagement_odds_ratio"), ("drivers", "relative_weight"),
                     ("pilot", "att"), ("pilot", "att_event_time"), ("rox", "roi"), ("rox", "npv"),
                     ("rox", "payback_months"), ("rox", "value_total"),
                     # survey noise (issue 14): corrected links, the uncorrected ones beside
                     ("linkage", "ex_to_cx_lagged_uncorrected"),
                     ("linkage", "cx_to_ex_lagged_uncorrected"),
                     ("linkage", "within_unit_reliability"),
                     ("linkage", "ex_cx_correlation_disattenuated"),
                     ("linkage", "mediation_indirect_uncorrected"),
                     ("rox", "link"), ("rox", "link_uncorrected"),
                     # issue 40: alerts, the demo's benchmark, participation per group
                     ("alerts", "change_alert"), ("norms", "norm_percentile")]:
        assert required in ids, required
    taking = [r for r in records if r["analysis"] == "group" and r["outcome"] == "participation"]
    assert taking and all(r["estimate"] is None or 0 < r["estimate"] <= 100 for r in taking)
    alerts = [r for r in records if r["estimand"] == "change_alert"]
    assert all(r["group_name"] and r["q_value"] for r in alerts)
    # the demo's planted alert: one store's engagement fell, at the store, not its region
    planted = truth["alert"]
    fell = [r for r in alerts if r["subject"] == f"unit_id={planted['unit_id']}"
            and r["outcome"] == "engagement_index"]
    assert fell and fell[0]["estimate"] < -10 and fell[0]["ci_high"] < 0
    assert not [r for r in alerts if r["subject"] == f"region={planted['region']}"
                and r["outcome"] == "engagement_index"]
    links = {r["term"] for r in records if (r["analysis"], r["estimand"]) == ("rox", "link")}
    assert links == {"churn_per_nps", "revenue_per_customer_per_nps", "exit_rate_per_ei"}
    # the demo's customers are followed in the CRM (issue 36): the revenue link the pilots are
    # valued with is measured customer by customer, with a finite interval
    revenue = next(r for r in records if (r["analysis"], r["estimand"], r["term"])
                   == ("rox", "link", "revenue_per_customer_per_nps"))
    assert revenue["method"].startswith("customer_level: other_question_iv_within")
    assert revenue["ci_low"] < revenue["estimate"] < revenue["ci_high"] < 1
    assert {("customer_value", e) for e in ("retention_by_nps_category", "revenue_by_nps_category",
                                            "revenue_per_nps_point", "churn_per_nps_point")} <= ids
    valued = (result.run_dir / "03_return_on_experience.html").read_text(encoding="utf-8")
    assert "customers followed over time, a single answer&#x27;s noise corrected" in valued \
        or "customers followed over time, a single answer's noise corrected" in valued
    assert "Customers who stay, by their answer to the recommend question" in valued
    index = (result.run_dir / "index.html").read_text(encoding="utf-8")
    assert "of promoters are still customers 12 months after their answer" in index
    # every id the run wrote is documented for the people who read results.json
    documented = (ROOT / "docs" / "estimands.md").read_text()
    undocumented = sorted(e for a, e in ids if f"`{e}`" not in documented)
    assert not undocumented, undocumented
    # notebook 03 modelled a pilot whose effects notebook 02 recorded in the same run
    rox_subjects = {r["subject"] for r in records if r["analysis"] == "rox"}
    pilot_subjects = {r["subject"] for r in records if r["analysis"] == "pilot"}
    assert rox_subjects - {"ex_programme", "all"} and \
        rox_subjects - {"ex_programme", "all"} <= pilot_subjects
    # and an engagement programme valued through notebook 01's EX -> CX estimate
    assert "ex_programme" in rox_subjects
    # the demo's own metrics (issue 37): each linked to engagement two ways, the planted
    # link a wave later inside the fixed-effects interval, and the programme in them
    for metric, planted in truth["unit_metrics"]["lag1"].items():
        fe = next(r for r in records if (r["estimand"], r["outcome"], r["term"])
                  == ("ex_to_outcome_fe", metric, "lag1"))
        assert fe["ci_low"] < planted < fe["ci_high"], (metric, fe, planted)
    changed = {(r["estimand"], r["outcome"]) for r in records if r["subject"] == "ex_programme"}
    assert {("metric_change", "staff_absence"), ("metric_change", "sales"),
            ("metric_value", "sales")} <= changed
    assert ("metric_value", "staff_absence") not in changed  # not kept in money
    assert "Raising engagement by 5 points in every unit would change staff absence" in index


def test_html_has_no_code_warnings_or_remote_scripts(run):
    _, result = run
    for item in result.notebooks:
        html = (result.run_dir / item.html).read_text()
        assert "Traceback" not in html and "Warning" not in html
        assert "from cxex_analysis import" not in html  # code is hidden
        # a summary (or a ledger) shown before its sections ran was filled in once they had
        assert show.SUMMARY_PENDING[:60] not in html, item.name
        assert show.TABLE_PENDING[:60] not in html, item.name
        assert not re.search(r"<script[^>]+src=\"https?://", html)
        assert re.search(r'<img [^>]*alt="[^"]{20,}"', html)


def test_unknown_or_mistyped_parameter_is_rejected_before_any_kernel(demo_warehouse, tmp_path):
    with pytest.raises(ParameterError, match="unknown parameter"):
        runner.run(demo_warehouse, tmp_path, parameters={"confidnce": 0.9}, progress=None)
    with pytest.raises(ParameterError, match="must be of type float"):
        runner.run(demo_warehouse, tmp_path, parameters={"confidence": "high"}, progress=None)
    assert not any(tmp_path.iterdir())


def test_notebooks_list(run):
    assert [p.name for p in parameters.list_notebooks(ROOT / "notebooks")][0] == "00_data_audit.ipynb"


def test_no_employee_or_customer_key_reaches_any_report(run, demo_warehouse):
    import duckdb

    _, result = run
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    keys = {r[0] for r in con.execute("SELECT DISTINCT employee_key FROM employee_survey "
                                      "WHERE employee_key IS NOT NULL LIMIT 2000").fetchall()}
    keys |= {r[0] for r in con.execute("SELECT DISTINCT customer_key FROM customer_survey "
                                       "WHERE customer_key IS NOT NULL LIMIT 2000").fetchall()}
    con.close()
    pattern = re.compile(r"\b[EK]\d{6,7}\b")
    for page in result.run_dir.glob("*.html"):
        text = page.read_text()
        found = set(pattern.findall(text)) & keys
        assert not found, (page.name, sorted(found)[:3])
    # the formula-safe spreadsheet copy of the results is there too
    assert (result.run_dir / "results.csv").exists()


# ------------------------------------------------------------------ what a leader reads

class _VisibleText(HTMLParser):
    """The text a reader sees: no markup, styles or attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script", "title")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script", "title")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(path) -> str:
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def test_no_report_shows_a_held_back_name_or_e_mail_address(run):
    """The demo plants an owner "Jane Smith" and an e-mail address as an employee key: both
    are held back, and the audit shows them masked."""
    _, result = run
    for page in sorted(result.run_dir.glob("*.html")):
        text = visible_text(page)
        assert "Jane Smith" not in text and "firstname.lastname" not in text, page.name
    audit = visible_text(result.run_dir / "00_data_audit.html")
    assert "Xxxx Xxxxx" in audit and "[email]" in audit


def test_no_report_shows_an_estimand_or_method_id_or_0_000(run):
    _, result = run
    records = json.loads((result.run_dir / "results.json").read_text())
    # ids a reader could mistake for words ("link") are left out; every other id is checked
    ids = {r["estimand"] for r in records if "_" in r["estimand"]} | {"att", "npv", "roi"}
    ids |= {r["method"].split(" (")[0] for r in records if r["method"] and "_" in r["method"]}
    ids |= {"ci_low", "ci_high", "p_value", "n_units"}
    pages = sorted(result.run_dir.glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        text = visible_text(page)
        assert "0.000" not in text, (page.name, text[max(0, text.find("0.000") - 80):][:160])
        found = sorted(i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
        assert not found, (page.name, found)


@pytest.mark.browser
def test_cxex_run_pdf_writes_a_pdf_for_every_report(run):
    from pypdf import PdfReader

    _, result = run
    pages = sorted(result.run_dir.glob("*.html"))
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    for page in pages:
        pdf = page.with_suffix(".pdf")
        reader = PdfReader(pdf)
        count = len(reader.pages)
        assert count >= 1, pdf.name
        footer = unicodedata.normalize("NFKC", reader.pages[0].extract_text())  # no ligatures
        assert f"Page 1 of {count}" in footer and result.run_id in footer
        assert "Confidential" in footer
        print(f"{pdf.name}: {count} pages, {manifest['pdf_seconds'][pdf.name]:.2f} s")
    assert set(manifest["pdf_seconds"]) == {p.with_suffix(".pdf").name for p in pages}


def _one_of_each_kind(run_dir):
    pages = sorted(run_dir.glob("*.html"))
    kinds = {}
    for page in pages:
        kinds.setdefault(page.name.split("-")[0].split(".")[0], page)
    return list(kinds.values())


def _read_in_browser(context, html, width: int, axe: str, shots) -> list:
    """Open one report; its problems (console messages, sideways scroll, axe violations)."""
    page = context.new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(str(e)))
    page.on("requestfailed", lambda r: messages.append(f"request failed: {r.url}"))
    page.goto(html.as_uri(), wait_until="load")
    shot = shots / f"{html.stem}-{width}.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.add_script_tag(content=axe)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
    page.close()
    problems = []
    if messages:
        problems.append((html.name, width, "console", messages[:3]))
    if width == 390 and sideways > 0:
        problems.append((html.name, width, f"the page scrolls sideways by {sideways} px"))
    if violations:
        problems.append((html.name, width, "axe", violations))
    return problems


@pytest.mark.browser
def test_reports_read_in_a_real_browser_at_desktop_and_phone_width(run, tmp_path):
    """Chromium with networking off: no console errors, no sideways scrolling of the page at
    390 px, and axe-core finds no serious or critical accessibility violation."""
    from playwright.sync_api import sync_playwright

    from cxex_analysis.reporting.pdf import chromium_path

    axe = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        pytest.fail("axe-core is not installed: `make test` installs it (make browser).")
    _, result = run
    pages = _one_of_each_kind(result.run_dir)
    assert {p.name[:2] for p in pages} >= {"00", "01", "02", "03", "04", "05", "06", "07", "in"}
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--disable-gpu"])
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
            context.route(re.compile(r"^(?!file:|data:).*"), lambda route: route.abort())
            for html in pages:
                problems += _read_in_browser(context, html, width, axe.read_text(), tmp_path)
            context.close()
        # the summary shows the claims ledger, each claim linked to the report that tested it
        page = browser.new_page()
        page.goto((result.run_dir / "index.html").as_uri())
        ledger = page.get_by_role("region", name="Claims ledger")
        assert ledger.is_visible()
        assert ledger.locator("tbody tr").count() == len(claims.CLAIMS)
        assert ledger.get_by_role("link", name="Claims ledger").count() >= 1
        assert "five times more likely to recommend" in ledger.inner_text()
        # the alerts the audit recorded, under what changed; each group report reads its own
        assert page.get_by_role("heading", name="Alerts").is_visible()
        alerts = page.get_by_role("region", name="Alerts: changes since the last survey beyond "
                                                 "survey noise")
        assert alerts.is_visible() and alerts.locator("tbody tr").count() >= 1
        assert "Respondents before" in alerts.inner_text()
        for report in result.run_dir.glob("04_group_report-*.html"):
            assert "whose results this report cannot read" not in report.read_text()
        # participation as a column of the groups' table, the benchmark the demo brings
        groups_table = page.get_by_role("region", name=summary.GROUPS_CAPTION)
        assert "% who answered" in groups_table.inner_text()
        assert "Against the benchmark" in page.inner_text("body")
        # a region's report at phone width: its scorecard with participation and the
        # benchmark, the alerts that concern it, and how its top issues were ranked
        phone = browser.new_context(viewport={"width": 390, "height": 900}, offline=True)
        region = phone.new_page()
        region.goto(next(result.run_dir.glob("04_group_report-region-*.html")).as_uri())
        card = region.get_by_role("region", name="Scorecard: this group, the previous period and "
                                                 "the company")
        assert card.is_visible()
        for words in ("Participation (% who answered)", "Benchmark median", "Against the benchmark"):
            assert words in card.inner_text(), words
        text = region.inner_text("body")
        assert "of this group's employees answered the latest survey" in text
        assert "alert" in text and ("this group's own employees" in text
                                    or "The company's drivers are used" in text)
        phone.close()
        browser.close()
    assert not problems, problems


def test_no_sensitive_employee_comment_reaches_a_report_and_hr_gets_them(run, demo_warehouse):
    """The demo plants six employee comments that need a person (bullying, a threat, a
    blocked fire exit, …): none is in any published page or PDF, the verbatims report counts
    them, and the confidential file beside the warehouse holds them for HR."""
    import pandas as pd

    from cxex_analysis.simulation.demo_comments import SENSITIVE_EMPLOYEE_TEXT

    _, result = run
    routed = list((demo_warehouse.parent / "confidential").glob("comments_for_hr_*.csv"))
    assert len(routed) == 1
    table = pd.read_csv(routed[0])
    assert set(SENSITIVE_EMPLOYEE_TEXT) <= set(table["comment"])
    pages = sorted(result.run_dir.glob("*.html"))
    texts = {page.name: visible_text(page) for page in pages}
    for page in pages:
        pdf = page.with_suffix(".pdf")
        if pdf.exists():
            from pypdf import PdfReader
            texts[pdf.name] = " ".join(" ".join(p.extract_text().split())
                                       for p in PdfReader(pdf).pages)
    for name, text in texts.items():
        for comment in table["comment"]:
            assert comment[:40] not in text, (name, comment)
    assert (f"{len(table)} employee comments were about harassment, discrimination, bullying"
            in texts["05_verbatims.html"])
    assert any("routed to HR in confidence" in text for name, text in texts.items()
               if name.startswith("04_group_report") and name.endswith(".html"))
