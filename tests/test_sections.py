"""One section never takes a report down: a failing section shows a box, the rest of the report
and of the run is published, the manifest and the executive summary list it, and `cxex run`
exits 4; `--strict` stops at the error (exit 1, nothing published)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cxex_analysis.reporting import show
from cxex_analysis.run import sections
from cxex_analysis.run.kernels import WarmKernel

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        for kind, text in cells])
    for cell, (kind, _) in zip(notebook.cells, cells):
        if kind == "closing":
            cell.metadata["tags"] = [sections.CLOSING]
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(notebook, str(path))
    return path


def test_section_titles_follow_second_level_headings():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## 1. First\ntext"), nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_markdown_cell("### a sub-heading"), nbformat.v4.new_code_cell("z = 3"),
        nbformat.v4.new_markdown_cell("text\n## 2. Second"), nbformat.v4.new_code_cell("w = 4")])
    titles = sections.section_titles(notebook)
    assert titles == [sections.PREAMBLE, sections.PREAMBLE, "1. First", "1. First", "1. First",
                      "1. First", "2. Second", "2. Second"]


def test_an_error_is_one_line_without_colour_codes_or_contact_details():
    reason = sections.one_line("ValueError", "\x1b[31mno unit for jane.doe@example.com\x1b[0m\nmore")
    assert reason.startswith("ValueError: no unit for ") and "@" not in reason and "\x1b" not in reason
    assert "more" not in reason
    assert len(sections.one_line("E", "x" * 1000)) == sections.MAX_REASON


@pytest.mark.e2e
def test_a_failing_section_shows_a_box_and_the_rest_runs(tmp_path):
    """… and the summary box at the top, shown before the sections run, is filled in by the
    closing cell even though that cell's section failed."""
    path = _notebook(tmp_path / "nb.ipynb", [
        ("code", "shared = 1\nfrom cxex_analysis.reporting import show\n"
                 "summary = show.summary_to_come('At a glance')"),
        ("md", "## 1. Works"), ("code", "print('one', shared)"),
        ("md", "## 2. Breaks"), ("code", "print('before'); made = 1 / 0"), ("code", "print('never')"),
        ("closing", "summary.fill(['what the sections found'])"),
        ("md", "## 3. Needs the broken one"), ("code", "print(made)"),
        ("md", "## 4. Works again"), ("code", "print('four')")])
    kernel = WarmKernel(str(path), str(tmp_path), str(tmp_path / "kernel.log"), keep_open=False)
    try:
        outcome, notebook = kernel.run("nb", {}, strict=False)
        strict, _ = kernel.run("nb", {}, strict=True)
    finally:
        kernel.close()
    assert outcome["status"] == "ok" and outcome["error"] is None
    assert outcome["sections_failed"] == [
        {"section": "2. Breaks", "reason": "ZeroDivisionError: division by zero"},
        {"section": "3. Needs the broken one",
         "reason": "it needs what an earlier part of this report could not compute (“2. Breaks”)"}]
    texts = [json.dumps(cell.get("outputs", [])) for cell in notebook.cells if cell.cell_type == "code"
             and "injected-parameters" not in cell.metadata.get("tags", [])]
    assert "one 1" in texts[1] and "four" in texts[6]
    assert "before" in texts[2] and "This section could not be computed: ZeroDivisionError" in texts[2]
    assert '"output_type": "error"' not in "".join(texts)
    assert texts[3] == "[]"  # the rest of the failed section is not run, but its closing cell
    assert "At a glance" in texts[0] and "what the sections found" in texts[0]
    assert json.dumps(show.SUMMARY_PENDING)[1:40] not in texts[0]
    log = (tmp_path / "kernel.log").read_text()
    assert "section '2. Breaks' could not be computed" in log and "ZeroDivisionError" in log
    assert "Traceback" in log or "----> " in log or "1 / 0" in log
    assert strict["status"] == "failed" and "ZeroDivisionError" in strict["error"]


@pytest.mark.e2e
def test_the_notebooks_that_run_once_take_turns_on_one_kernel_with_nothing_left_over(demo_warehouse, tmp_path):
    """A run pays one kernel start (and one import of the package) for all its notebooks that
    run once, not one each: they run in turn on one kernel, whose namespace is reset between
    them, so that no notebook sees another's names."""
    from cxex_analysis.run import runner

    folder = tmp_path / "notebooks"
    folder.mkdir()
    first = _notebook(folder / "a_first.ipynb", [
        ("code", 'warehouse = ""'),
        ("code", "import os\nleft_behind = 1\nprint('kernel', os.getpid())")])
    second = _notebook(folder / "b_second.ipynb", [
        ("code", 'warehouse = ""'),
        ("code", "import os\nprint('kernel', os.getpid(), 'left_behind' in dir())")])
    result = runner.run(demo_warehouse, tmp_path / "out", notebooks=[first, second],
                        progress=None, strict=True)
    assert result.ok, [n.error for n in result.notebooks]
    printed = []
    for name in ("a_first", "b_second"):
        executed = nbformat.read(str(result.run_dir / f"{name}.ipynb"), as_version=4)
        printed.append("".join(o.get("text", "") for o in executed.cells[-1].outputs).split())
    assert printed[0][0] == printed[1][0] == "kernel"
    assert printed[0][1] == printed[1][1]  # one kernel
    assert printed[1][2] == "False"  # its namespace reset in between


def _cxex(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True, env=env)


@pytest.mark.e2e
def test_a_run_with_a_failing_section_publishes_and_exits_4_and_strict_exits_1(demo_warehouse, tmp_path):
    """Notebook 00 with a planted failure in its coverage section, run as a user runs it."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    audit = nbformat.read(str(ROOT / "notebooks" / "00_data_audit.ipynb"), as_version=4)
    at = next(i for i, c in enumerate(audit.cells) if c.cell_type == "markdown"
              and "".join(c.source).startswith("## 3. Coverage"))
    audit.cells.insert(at + 1, nbformat.v4.new_code_cell(
        "raise RuntimeError('planted failure for the test')"))
    nbformat.write(audit, str(folder / "00_data_audit.ipynb"))
    # the crash the first foreign organisation met: theme discovery failing inside notebook 05
    verbatims = nbformat.read(str(ROOT / "notebooks" / "05_verbatims.ipynb"), as_version=4)
    discovery = next(c for c in verbatims.cells if "verbatims.discover_themes(" in c.source)
    discovery.source = "raise ValueError('planted discovery crash')\n" + discovery.source
    nbformat.write(verbatims, str(folder / "05_verbatims.ipynb"))
    shutil.copy(ROOT / "notebooks" / "06_action_review.ipynb", folder)
    env = {k: v for k, v in os.environ.items() if k != "CXEX_STRICT"}  # as a user runs it
    env["CXEX_NOTEBOOKS_DIR"] = str(folder)
    out = tmp_path / "reports"

    done = _cxex("run", "--warehouse", demo_warehouse, "--out", out, env=env)
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    assert "2 section(s) could not be computed" in done.stdout
    assert "RuntimeError: planted failure for the test" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    latest = out / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "ok_with_failed_sections" and manifest["strict"] is False
    pages = {n["name"]: n for n in manifest["notebooks"]}
    assert pages["00_data_audit"]["status"] == "ok"
    assert pages["00_data_audit"]["sections_failed"] == [
        {"section": "3. Coverage by unit and period",
         "reason": "RuntimeError: planted failure for the test"}]
    assert pages["05_verbatims"]["sections_failed"] == [
        {"section": "6. Emerging themes", "reason": "ValueError: planted discovery crash"}]
    comments = (latest / "05_verbatims.html").read_text(encoding="utf-8")
    assert show.SUMMARY_PENDING[:60] not in comments  # the summary still filled
    assert "Detractors minus promoters" in comments and "% of comments negative" in comments
    recorded = json.loads((latest / "results.json").read_text())
    assert {"share_negative", "theme_share_detractors_minus_promoters"} <= {
        r["estimand"] for r in recorded if r["analysis"] == "text"}  # its rows recorded
    assert pages["06_action_review"]["status"] == "ok"  # the run went on
    assert pages["06_action_review"]["sections_failed"] == []
    report = (latest / "00_data_audit.html").read_text(encoding="utf-8")
    assert "This section could not be computed:</strong> RuntimeError: planted failure" in report
    assert "Traceback" not in report and "planted failure for the test')" not in report
    assert "Is the engagement scale reliable?" in report and "Cronbach" in report  # later sections
    index = (latest / "index.html").read_text(encoding="utf-8")
    assert "2 section(s) could not be computed" in index and "3. Coverage by unit and period" in index
    assert "RuntimeError" in (latest / "kernel.log").read_text()
    first = latest.resolve()

    strict = _cxex("run", "--warehouse", demo_warehouse, "--out", out, "--strict", env=env)
    assert strict.returncode == 1, strict.stdout[-2000:] + strict.stderr[-2000:]
    assert "FAILED" in strict.stdout and "planted failure" in strict.stdout
    assert latest.resolve() == first  # nothing published


def test_a_table_that_loses_more_than_5_percent_of_its_rows_opens_the_summary(small_folder, tmp_path):
    from cxex_analysis.reporting.summary import attention_html
    from cxex_analysis.store import ingest, warehouse
    from cxex_analysis.store.accounting import heavy_quarantine

    rows = [f"C{i},2025-01-05T10:00:00Z,U1,store,{9 if i % 10 else 42},5,6," for i in range(40)]
    store = tmp_path / "w.duckdb"
    ingest.ingest(small_folder(customer_rows=rows), store)
    con = warehouse.connect(store)
    try:
        heavy = heavy_quarantine(con)
    finally:
        con.close()
    assert [(t["table"], t["rows_quarantined"], t["rows_read"]) for t in heavy] == [
        ("customer_survey", 4, 40)]
    assert heavy[0]["share"] == pytest.approx(0.1) and "nps: out of range" in heavy[0]["reason"]
    text = attention_html([], heavy)
    assert "10% of the rows of customer_survey (4 of 40 in customer_survey.csv) were held back" in text
    assert "nps: out of range" in text and "Before you read" in text
    assert attention_html([], []) == ""


@pytest.mark.e2e
def test_a_kernel_that_holds_too_much_after_a_report_is_restarted(tmp_path, monkeypatch):
    """Issue 41: a warm kernel that holds more than CXEX_KERNEL_MEMORY_GB after a report is
    restarted before the next, which is published all the same (the kernel log says so); under
    the ceiling one kernel runs them all."""
    from cxex_analysis.run import kernels

    path = _notebook(tmp_path / "nb.ipynb", [
        ("code", "size = 0"),  # kept where a library would keep it: past the reset
        ("code", "import builtins, os\nbuiltins.__dict__.setdefault('_kept', []).append(b'x' * size)"
                 "\nprint(os.getpid())")])
    jobs = [(f"r{i}", {"size": 300 * 1024 ** 2}) for i in range(3)]
    monkeypatch.setenv("CXEX_KERNEL_MEMORY_GB", "0.2")
    outcomes = kernels._batch_worker(str(path), jobs, str(tmp_path), str(tmp_path / "kernel.log"))
    assert [o["status"] for o in outcomes] == ["ok"] * 3
    pids = {nbformat.read(str(tmp_path / f"r{i}.ipynb"), 4).cells[-1].outputs[0].text.strip()
            for i in range(3)}
    assert len(pids) == 3  # each report after the first on a fresh kernel
    assert (tmp_path / "kernel.log").read_text().count("restarted") == 2
    monkeypatch.setenv("CXEX_KERNEL_MEMORY_GB", "4")
    kernels._batch_worker(str(path), [(f"s{i}", {"size": 1024}) for i in range(2)], str(tmp_path),
                          str(tmp_path / "again.log"))
    pids = {nbformat.read(str(tmp_path / f"s{i}.ipynb"), 4).cells[-1].outputs[0].text.strip()
            for i in range(2)}
    assert len(pids) == 1
    assert kernels.kernel_memory_ceiling() == 4 * 1024 ** 3
    monkeypatch.setenv("CXEX_KERNEL_MEMORY_GB", "lots")
    assert kernels.kernel_memory_ceiling() == kernels.DEFAULT_KERNEL_MEMORY_GB * 1024 ** 3
