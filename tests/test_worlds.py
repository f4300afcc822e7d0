"""Organisations this project did not design: each runs the whole suite strict and publishes
every report its plan promises.

The worlds come from :mod:`cxex_analysis.simulation.worlds` (its own description of how real
exports vary), drawn by Hypothesis: ``CXEX_WORLDS`` of them (12, derandomized so every run
draws the same ones) run the whole suite in ``make test-all`` (and CI), and twice as many
are read and planned without a kernel in every run (``make test``). ``make fuzz`` draws many
more with fresh randomness; a world that fails prints its spec, which rebuilds it exactly
(``write_world(WorldSpec(...), folder)``).

One more organisation, written by hand with every quirk that stopped a first run (repetitive
comments, a US-dollar registry without a finance file, regions and unit types in other words
and scripts, group names that collide as file names), is run once and read by several tests.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cxex_analysis.run import plan
from cxex_analysis.run.fanout import fan_out, take_inventory
from cxex_analysis.run.parameters import list_notebooks
from cxex_analysis.simulation.world_text import COMMENT_STYLES
from cxex_analysis.simulation.worlds import PILOT_KINDS, WorldSpec, write_world
from cxex_analysis.store import ingest

WORLDS = int(os.environ.get("CXEX_WORLDS", "12"))
#: worlds read and planned without a kernel, in every run
PLANNED_WORLDS = 2 * WORLDS
FUZZ = os.environ.get("CXEX_FUZZ", "") not in ("", "0")  # fresh draws (make fuzz)
FAST = ["--param", "n_boot=199", "--param", "draws=2000", "--workers", "1"]


def world_specs():
    """Organisations as they come: every quirk drawn independently."""
    specs = st.builds(
        WorldSpec,
        seed=st.integers(0, 2**31 - 1),
        units=st.sampled_from([2, 3, 5, 12, 40, 150, 600, 2000]),
        regions=st.integers(1, 6),
        unit_types=st.integers(1, 5),
        names=st.sampled_from(["plain", "scripts", "punctuation", "colliding"]),
        label_case=st.booleans(),
        id_style=st.sampled_from(["code", "digits", "words"]),
        months=st.sampled_from([3, 6, 12, 24]),
        employee_waves=st.sampled_from(["none", "quarterly", "monthly", "annual"]),
        items=st.integers(3, 9),
        enps_only=st.booleans(),
        customer_scores=st.sampled_from([(), ("nps",), ("csat",), ("ces",), ("nps", "csat"),
                                         ("csat", "ces"), ("nps", "csat", "ces")]),
        nps_blank=st.sampled_from([0.0, 0.0, 0.4, 1.0]),
        flat=st.sampled_from([False, False, False, True]),
        answers_per_unit_month=st.sampled_from([1, 5, 20, 80]),
        employees_per_unit=st.sampled_from([2, 6, 12, 40]),
        customer_comments=st.sampled_from(COMMENT_STYLES),
        employee_comments=st.sampled_from(COMMENT_STYLES),
        outcomes=st.booleans(),
        currency=st.sampled_from(["EUR", "USD", "GBP", "JPY", ""]),
        pilots=st.lists(st.sampled_from(PILOT_KINDS), max_size=3, unique=True).map(tuple),
        actions=st.booleans(),
        export=st.sampled_from(["answers", "answers", "scores", "mixed"]),
        score_sd=st.booleans(),
        headcount=st.sampled_from(["outcomes", "units", "stale", "none"]),
        norms=st.booleans())
    # the contract needs units and one of the two surveys
    return specs.filter(lambda s: s.employee_waves != "none" or bool(s.customer_scores))


def cxex(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True)


def run_world(spec: WorldSpec, folder: Path,
              *extra: str) -> tuple[dict, subprocess.CompletedProcess]:
    expected = write_world(spec, folder / "data")
    done = cxex("run", "--data", folder / "data", "--warehouse", folder / "warehouse.duckdb",
                "--out", folder / "reports", "--strict", *FAST, *extra)
    return expected, done


def failure(folder: Path, done: subprocess.CompletedProcess, spec: WorldSpec) -> str:
    """What a person needs to fix a failing world: its spec, the run's last lines and the
    failing cell's traceback."""
    lines = [f"world: WorldSpec({spec.describe()})", done.stdout[-2500:], done.stderr[-2500:]]
    for executed in sorted((folder / "reports").glob("*/*.ipynb")):
        for cell in nbformat.read(str(executed), as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output["traceback"]))
                    lines.append(f"{executed.name}:\n{trace[:1500]}\n…\n{trace[-5000:]}")
    return "\n".join(lines)


def check_published(folder: Path, expected: dict, done: subprocess.CompletedProcess,
                    spec: WorldSpec) -> dict:
    """Exit 0, every planned report published and every other one skipped with its reason,
    every region, unit type and pilot with its own report (its group as written in the
    title), no traceback and no failed section."""
    assert done.returncode == 0, failure(folder, done, spec)
    latest = folder / "reports" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "ok", manifest["status"]
    ran = [n for n in manifest["notebooks"] if n["status"] != "skipped"]
    assert all(n["status"] == "ok" and (latest / n["html"]).exists() for n in ran), ran
    assert not any(n["sections_failed"] for n in manifest["notebooks"])
    # a notebook the plan leaves out says why (the data's shape decides, not an error)
    for skipped in (n for n in manifest["notebooks"] if n["status"] == "skipped"):
        assert skipped.get("reason", "").startswith("not run — "), skipped
    titles = {n["title"] for n in ran if n.get("title")}
    for level, word in (("regions", "region"), ("unit_types", "unit type")):
        for group in expected[level]:
            assert f"Group report: {word} {group}" in titles, (group, sorted(titles))
    files = [n["html"] for n in ran]
    assert len(files) == len(set(files))
    reported = {n["name"] for n in ran if n["name"].startswith("02_")}
    assert len(reported) == len(expected["pilots"]), (reported, expected["pilots"])
    for page in latest.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text and "could not be computed:" not in text, page.name
    return manifest


@pytest.mark.e2e
@pytest.mark.extended
@settings(max_examples=WORLDS, derandomize=not FUZZ, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(spec=world_specs())
def test_any_organisation_publishes_every_report(spec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    expected, done = run_world(spec, folder)
    check_published(folder, expected, done, spec)


@settings(max_examples=PLANNED_WORLDS, derandomize=not FUZZ, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(spec=world_specs())
def test_any_organisation_is_read_whole_and_planned_report_by_report(spec, tmp_path_factory):
    """Without a kernel (every run, many worlds): every table written is read whole (each row
    accepted: the generator writes only valid rows), every notebook is either planned or
    skipped for a reason the data give, and the fan-out promises a report for every region,
    unit type and pilot with units, each in a file of its own."""
    folder = tmp_path_factory.mktemp("planned")
    expected = write_world(spec, folder / "data")
    store = folder / "warehouse.duckdb"
    report = ingest.ingest(folder / "data", store)
    for table in expected["tables"]:
        read = report.tables[table]
        assert read.status == "ok", (spec.describe(), table, read.error)
        assert read.rows_read == read.rows_accepted > 0, (spec.describe(), table, read)
    have = take_inventory(store)
    titles, files, pilot_reports = set(), [], 0
    for path in list_notebooks():
        planned = plan.notebook_plan(path.stem, have)
        if planned.action == "skip":
            assert "needs" in planned.reason, (path.stem, planned)
            continue
        for suffix, _, title in fan_out(path, store, {}, have):
            files.append(f"{path.stem}-{suffix}" if suffix else path.stem)
            titles.add(title)
            pilot_reports += path.stem.startswith("02_")
    for level, word in (("regions", "region"), ("unit_types", "unit type")):
        for group in expected[level]:
            assert f"Group report: {word} {group}" in titles, (spec.describe(), group, titles)
    assert pilot_reports == len(expected["pilots"]), (spec.describe(), expected["pilots"])
    assert len({f.lower() for f in files}) == len(files), files


# ------------------------------------------------------------------------------------------
# One organisation with every quirk that stopped a first run: one run, many assertions
# ------------------------------------------------------------------------------------------

QUIRKY = WorldSpec(seed=32, units=24, regions=4, unit_types=3, names="colliding",
                   label_case=True, id_style="digits", months=12, customer_comments="phrases",
                   employee_comments="identical", currency="USD",
                   pilots=("randomized", "one_unit"), actions=True, headcount="stale",
                   norms=True)


@pytest.fixture(scope="module")
def quirky(tmp_path_factory):
    """The quirky organisation's run, at 90% intervals (a level other than the default)."""
    folder = tmp_path_factory.mktemp("quirky")
    expected, done = run_world(QUIRKY, folder, "--param", "confidence=0.9")
    return folder, expected, done


def _text(page: Path) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))


@pytest.mark.e2e
def test_the_quirky_organisation_publishes_every_report(quirky):
    folder, expected, done = quirky
    check_published(folder, expected, done, QUIRKY)


@pytest.mark.e2e
def test_colliding_group_names_get_a_file_each_and_one_link_each(quirky):
    folder, expected, done = quirky
    assert expected["regions"] == ["A/1", "A-1", "A.1", "東京"]
    latest = folder / "reports" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    groups = [n for n in manifest["notebooks"] if n["name"].startswith("04_")]
    assert len(groups) == len(expected["regions"]) + len(expected["unit_types"])
    assert len({n["html"] for n in groups}) == len(groups)
    index = (latest / "index.html").read_text(encoding="utf-8")
    for n in groups:
        assert index.count(f'href="{html.escape(n["html"])}"') == 1, n["html"]
        page = _text(latest / n["html"])
        group = n["title"].split(": ", 1)[1].split(" ", 1)[1].removeprefix("type ")
        assert group in page, (n["title"], page[:300])


@pytest.mark.e2e
def test_unit_types_and_regions_in_other_words_and_scripts_keep_their_spelling(quirky):
    folder, expected, done = quirky
    # charts keep the words as text for the browser's fonts: no glyph warning from the fonts
    # matplotlib measures them with
    assert "missing from font" not in done.stderr, done.stderr[-500:]
    assert {"Call Centre (UK)", "Call Centre UK", "店舗"} == set(expected["unit_types"])
    index = _text(folder / "reports" / "latest" / "index.html")
    for label in expected["unit_types"] + expected["regions"]:
        assert label in index, label
    # written " call centre (uk) " or "CALL CENTRE (UK)" in some rows: one group, first spelling
    assert "call centre (uk)" not in index.replace("Call Centre (UK)", "")


@pytest.mark.e2e
def test_a_dollar_registry_without_a_finance_file_is_valued_in_dollars(quirky):
    folder, _, _ = quirky
    page = _text(folder / "reports" / "latest" / "03_return_on_experience.html")
    assert "illustrative defaults" in page and "about 1.16 USD per EUR" in page
    assert "USD" in page and "EUR " not in page.replace("per EUR", "")


@pytest.mark.e2e
def test_repetitive_comments_get_no_discovered_theme_and_say_why(quirky):
    folder, _, _ = quirky
    page = _text(folder / "reports" / "latest" / "05_verbatims.html")
    assert "too few different comments to find themes" in page


@pytest.mark.e2e
def test_a_run_at_90_percent_names_every_interval_at_90_percent(quirky):
    """`--param confidence=0.9`: every published page names its intervals "90% CI" and none
    says 95% (table headers were read from frames that had dropped their level, notebook
    labels and prose said "95%" by hand, and the money links were computed at 95%)."""
    folder, _, _ = quirky
    pages = sorted((folder / "reports" / "latest").glob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = _text(page)
        assert "90% CI" in text, page.name
        wrong = re.findall(r".{60}95\s?% ?(?:CI|interval|of).{20}", text)
        assert not wrong, (page.name, wrong)
    rows = json.loads((folder / "reports" / "latest" / "results.json").read_text())
    assert {row["confidence"] for row in rows if row.get("confidence") is not None} == {0.9}
