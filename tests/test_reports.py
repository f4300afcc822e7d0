"""Leaders' HTML: failure semantics of a run, escaping, confidentiality, a real browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from cxex_analysis.run import runner
from cxex_analysis.store import ingest, warehouse

from .conftest import ROOT

pytestmark = pytest.mark.e2e


def cxex(*args):
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def leaky(demo_dir, tmp_path_factory):
    """The demo plus a customer comment with a script in a team of 3, ingested."""
    folder = tmp_path_factory.mktemp("leaky")
    for f in demo_dir.iterdir():
        shutil.copy(f, folder / f.name)
    truth = json.loads((demo_dir / "truth.json").read_text())
    team = truth["small_units"][0]
    customers = pd.read_csv(folder / "customer_survey.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame([{"response_id": "CX-SCRIPT", "responded_at": "2025-12-30T10:00:00Z",
                           "unit_id": team, "channel": "phone", "nps": "2",
                           "comment": "<script>alert(1)</script> call me on 07700 900123"}])
    pd.concat([customers, extra]).to_csv(folder / "customer_survey.csv", index=False)
    target = folder / "warehouse.duckdb"
    ingest.ingest(folder, target)
    return target, team


@pytest.fixture(scope="module")
def team_report(leaky, tmp_path_factory):
    target, team = leaky
    out = tmp_path_factory.mktemp("team")
    result = runner.run(target, out, [ROOT / "notebooks" / "04_group_report.ipynb"],
                        {"group_by": "unit", "group": team}, progress=None)
    assert result.ok, [n.error for n in result.notebooks]
    html = (result.run_dir / result.notebooks[0].html).read_text()
    return html, result


def test_customer_script_is_shown_as_text_and_pii_masked(team_report):
    html, _ = team_report
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "07700 900123" not in html and "[phone]" in html


def test_a_team_of_3_shows_no_employee_numbers_or_comments(team_report, leaky):
    html, result = team_report
    assert "Employee results are not shown" in html
    assert "Employee comments are not shown" in html
    executed = nbformat.read(str(result.run_dir / f"{result.notebooks[0].name}.ipynb"), as_version=4)
    records = json.loads((result.run_dir / "results.json").read_text())
    employee = [r for r in records if r["outcome"] in ("engagement_index", "pct_favourable", "enps")]
    assert employee and all(r["estimate"] is None and r["n"] is None for r in employee)
    del executed
    # none of the team's employee comments reached the page
    target, team = leaky
    con = warehouse.connect(target)
    comments = [r[0] for r in con.execute(
        "SELECT comment FROM employee_survey WHERE unit_id = ? AND comment IS NOT NULL", [team]).fetchall()]
    con.close()
    assert comments and not any(c in html for c in comments)


def test_a_failing_notebook_keeps_latest_and_exits_1(demo_warehouse, tmp_path):
    out = tmp_path / "reports"
    good = cxex("run", "--warehouse", demo_warehouse, "--out", out, "--only", "00")
    assert good.returncode == 0, good.stderr
    latest = (out / "latest").resolve()
    bad = cxex("run", "--warehouse", demo_warehouse, "--out", out, "--only", "04",
               "--param", "group_by=region", "--param", "group=Atlantis")
    assert bad.returncode == 1
    assert "04_group_report" in bad.stdout and "code cell" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    assert (out / "latest").resolve() == latest  # the failed run did not replace latest
    failed_runs = [d for d in out.iterdir() if d.is_dir() and d.resolve() != latest and not d.is_symlink()]
    executed = next(failed_runs[0].glob("04_group_report*.ipynb"))
    errors = [o for c in nbformat.read(str(executed), as_version=4).cells
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and "Atlantis" in errors[0]["evalue"]


def test_unknown_parameter_is_rejected_before_any_kernel(demo_warehouse, tmp_path):
    out = tmp_path / "r"
    result = cxex("run", "--warehouse", demo_warehouse, "--out", out, "--param", "confidnce=0.9")
    assert result.returncode == 2 and "unknown parameter" in result.stderr
    result = cxex("run", "--warehouse", demo_warehouse, "--out", out, "--param", "lag=soon")
    assert result.returncode == 2 and "must be of type int" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: `make test` installs it (make browser).")


@pytest.mark.browser
def test_reports_open_offline_in_a_real_browser(team_report, tmp_path):
    from PIL import Image

    _, result = team_report
    import re

    for page in (result.run_dir / "index.html", result.run_dir / result.notebooks[0].html):
        # nothing to fetch: every image is embedded, no script, stylesheet or font from outside
        text = page.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']https?://|url\(\s*["']?https?://|<script""", text)
        shot = tmp_path / f"{page.stem}.png"
        run = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # no network at all
             "--enable-logging=stderr", "--v=0", "--window-size=1200,2000",
             f"--screenshot={shot}", page.as_uri()],
            capture_output=True, text=True, timeout=120)
        log = run.stdout + run.stderr
        console = [line for line in log.splitlines() if "CONSOLE" in line]
        assert not console, console
        assert "net::ERR" not in log, [line for line in log.splitlines() if "net::ERR" in line]
        image = Image.open(shot).convert("L")
        extrema = image.getextrema()
        assert extrema[1] - extrema[0] > 100, "blank screenshot"
        histogram = image.histogram()
        assert max(histogram) < 0.98 * sum(histogram), "screenshot is one colour"
