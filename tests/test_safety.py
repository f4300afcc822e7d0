"""cxex touches only what it made: each test is a misuse found by probing the commands as a
careless or hostile user would (issue 33), reproduced and pinned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxex_analysis import __version__
from cxex_analysis.run import run_folders


def cxex(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxex_analysis.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def finished_run(out: Path, run_id: str, status: str = "ok", day: int = 1) -> Path:
    """A run folder as cxex leaves it: marker, manifest of its schema, a report."""
    work = run_folders.start(out, run_id)
    (work / "index.html").write_text("<html></html>")
    (work / "manifest.json").write_text(json.dumps({
        "run_id": run_id, "status": status, "cxex_version": __version__,
        "finished_at": f"2026-11-{day:02d}T00:00:00+00:00"}))
    run_folders.finish(work, out / run_id)
    return out / run_id


def test_clean_removes_only_folders_cxex_made(tmp_path):
    """`cxex clean --keep 1` removed H/app (any manifest.json counted as a run) and exited 0."""
    out = tmp_path / "H"
    (out / "app").mkdir(parents=True)
    (out / "app" / "manifest.json").write_text('{"name": "x"}')
    (out / "r").mkdir()
    (out / "r" / "manifest.json").write_text(
        '{"status":"ok","finished_at":"2026-11-01T00:00:00+00:00"}')
    # a folder named like a run, with cxex's manifest schema but no marker: not provably cxex's
    lookalike = out / "20261101-000000-1"
    lookalike.mkdir()
    (lookalike / "manifest.json").write_text(json.dumps({
        "run_id": lookalike.name, "status": "ok", "cxex_version": __version__,
        "finished_at": "2026-10-01T00:00:00+00:00"}))
    old = finished_run(out, "20261102-000000-2", day=2)
    new = finished_run(out, "20261103-000000-3", day=3)
    (out / "latest").symlink_to(new.name)
    done = cxex("clean", "--out", out, "--keep", "1")
    assert done.returncode == 0, done.stderr
    assert (out / "app" / "manifest.json").exists() and (out / "r").exists() and lookalike.exists()
    assert not old.exists() and new.exists()
    assert f"removed {old}" in done.stdout
    assert "left alone, not made by cxex: 20261101-000000-1, app, r" in done.stdout


def test_clean_never_follows_a_link(tmp_path):
    out, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    out.mkdir()
    precious = finished_run(elsewhere.mkdir() or elsewhere, "20261101-000000-1", day=1)
    (out / "20261101-000000-1").symlink_to(precious)  # a link named like a run, to a run
    finished_run(out, "20261102-000000-2", day=2)
    newest = finished_run(out, "20261103-000000-3", day=3)
    (newest / "data").symlink_to(elsewhere)  # a link inside a run that goes
    finished_run(out, "20261104-000000-4", day=4)
    done = run_folders.clean(out, keep=1)
    assert sorted(done.removed) == ["20261102-000000-2", "20261103-000000-3"]
    assert precious.exists() and (precious / "index.html").exists()
    assert (out / "20261101-000000-1").is_symlink()


def test_clean_dry_run_says_what_would_go_and_removes_nothing(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    runs = [finished_run(out, f"2026110{d}-000000-{d}", day=d) for d in (1, 2, 3)]
    done = cxex("clean", "--out", out, "--keep", "1", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert all(r.exists() for r in runs)
    assert f"would remove {runs[0]}" in done.stdout and f"would remove {runs[1]}" in done.stdout
    assert "2 folder(s) would be removed" in done.stdout


def test_a_run_with_a_failed_section_is_a_run_to_keep(tmp_path):
    """Published with a box for a failed section, `latest` points at it: clean keeps it."""
    out = tmp_path / "reports"
    out.mkdir()
    older = finished_run(out, "20261101-000000-1", day=1)
    boxed = finished_run(out, "20261102-000000-2", status="ok_with_failed_sections", day=2)
    failed = finished_run(out, "20261103-000000-3", status="failed", day=3)
    done = run_folders.clean(out, keep=1)
    assert done.removed == [older.name] and boxed.exists() and failed.exists()


def test_a_stale_unfinished_folder_goes_only_when_cxex_started_it(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    work = run_folders.start(out, "20261101-000000-999999")
    (work / run_folders.OWNER_FILE).write_text(json.dumps({"pid": 2**22 + 7, "host":
                                                           __import__("socket").gethostname()}))
    stranger = out / ".20261101-000000-999998.partial"  # someone's folder, named like ours
    stranger.mkdir()
    (stranger / run_folders.OWNER_FILE).write_text(
        json.dumps({"pid": 2**22 + 7, "host": __import__("socket").gethostname()}))
    assert run_folders.remove_stale_partials(out) == [work.name]
    assert not work.exists() and stranger.exists()


# ------------------------------------------------------------------------------------------
# The codebook parameter: a file the user names, read safely, checked before any kernel
# ------------------------------------------------------------------------------------------

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
       for i in range(8)]
    + ["themes: {x: {terms: *i}}"])


def test_a_hostile_or_wrong_codebook_is_a_clear_error(tmp_path):
    """A "billion laughs" YAML took 3 GB; a folder was "no such file"; no size limit."""
    import pytest

    from cxex_analysis.errors import ParameterError
    from cxex_analysis.estimators import codebook

    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(BILLION_LAUGHS)
    with pytest.raises(ParameterError, match="not valid YAML.*more than 20 aliases"):
        codebook.load(laughs)
    with pytest.raises(ParameterError, match="is a folder, not a file"):
        codebook.load(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text("themes:\n  x:\n    terms: [" + ", ".join(["word"] * 250_000) + "]\n")
    with pytest.raises(ParameterError, match="at most 1,000,000 bytes"):
        codebook.load(big)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00themes")
    with pytest.raises(ParameterError, match="cannot be read as UTF-8"):
        codebook.load(binary)


CODEBOOK = "themes:\n  queues:\n    label: Queues of our own\n    terms: [queue*, wait*]\n"


@pytest.mark.e2e
def test_relative_paths_are_found_from_where_the_command_was_typed(tmp_path, demo_warehouse):
    """The README's own `--param codebook=my.yaml` failed: it was looked for in the run folder;
    a relative CXEX_CACHE_DIR put every comment, with its response and unit ids, in the
    published run folder."""
    (tmp_path / "my.yaml").write_text(CODEBOOK)
    done = subprocess.run(
        [sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse", str(demo_warehouse),
         "--out", "reports", "--only", "05", "--param", "codebook=my.yaml"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "CXEX_CACHE_DIR": "cache", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("comments-")]
    published = [p.name for p in (tmp_path / "reports").rglob("*")]
    assert not [name for name in published if "comments-" in name or name == "cache"], published
    # the manifest travels with the reports: the home folder (often its user's name) is ~
    text = (tmp_path / "reports" / "latest" / "manifest.json").read_text()
    assert str(tmp_path) not in text
    assert json.loads(text)["parameters"]["codebook"] == "~/my.yaml"
    page = (tmp_path / "reports" / "latest" / "05_verbatims.html").read_text(encoding="utf-8")
    assert "Queues of our own" in page


def test_a_bad_codebook_is_exit_2_before_any_kernel_starts(tmp_path, demo_warehouse):
    (tmp_path / "laughs.yaml").write_text(BILLION_LAUGHS)
    for value in ("laughs.yaml", ".", "missing.yaml"):
        done = subprocess.run(
            [sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse", str(demo_warehouse),
             "--out", "reports", "--param", f"codebook={value}"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 2, (value, done.stdout, done.stderr)
        assert "codebook" in done.stderr and str(tmp_path) in done.stderr
        assert "Traceback" not in done.stderr and not (tmp_path / "reports").exists()


def test_a_cache_folder_inside_the_reports_folder_is_exit_2_before_anything_runs(
        tmp_path, demo_warehouse):
    done = subprocess.run(
        [sys.executable, "-m", "cxex_analysis.cli", "run", "--warehouse", str(demo_warehouse),
         "--out", "reports"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "CXEX_CACHE_DIR": "reports/cache"})
    assert done.returncode == 2 and "inside the reports folder" in done.stderr, done.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.e2e
def test_an_out_that_is_a_file_or_a_latest_that_is_not_cxex_link_is_exit_2(tmp_path,
                                                                          demo_warehouse):
    """`--out` that is a file, or an OUT/latest that is a real folder (after every notebook
    had run), stopped with exit 3 and a Python error."""
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "o1" / "latest").mkdir(parents=True)
    (tmp_path / "o1" / "latest" / "mine.txt").write_text("someone's work")
    (tmp_path / "o2").mkdir()
    (tmp_path / "o2" / "latest").write_text("someone's file")
    for out, words in (("a-file", "is a file, not a folder"), ("o1", "is a real folder"),
                       ("o2", "is a real file")):
        done = cxex("run", "--warehouse", demo_warehouse, "--out", tmp_path / out, "--only", "00")
        assert done.returncode == 2, (out, done.stdout, done.stderr)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "done:" not in done.stdout  # before any notebook ran
    assert (tmp_path / "o1" / "latest" / "mine.txt").read_text() == "someone's work"
    assert sorted(p.name for p in (tmp_path / "o1").iterdir()) == ["latest"]
    done = cxex("clean", "--out", tmp_path / "a-file")
    assert done.returncode == 2 and "a file, not a reports folder" in done.stderr


# ------------------------------------------------------------------------------------------
# cxex pdf: only the reports of a cxex run, nothing beyond the run folder, no overwrite
# ------------------------------------------------------------------------------------------

HOSTILE_REPORT = """<html><head><title>Report</title></head><body><h1>Visible words</h1>
<iframe src="file://{secret}" width="600" height="200"></iframe>
<img src="file://{secret}" alt="">
<script>document.body.append("written by a script")</script></body></html>"""


def _pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_pdf_prints_only_a_cxex_run(tmp_path):
    """`cxex pdf DIR` printed any *.html of any folder."""
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "page.html").write_text("<html><body>not a report</body></html>")
    (folder / "manifest.json").write_text('{"status": "ok"}')
    done = cxex("pdf", folder)
    assert done.returncode == 2, done.stderr
    assert "not a cxex run folder" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not list(folder.glob("*.pdf"))


@pytest.mark.browser
def test_pdf_of_a_run_reaches_no_file_runs_no_script_and_overwrites_only_with_force(tmp_path):
    """An iframe of /etc/passwd landed in the PDF (file:// access, JavaScript on), a report
    the manifest does not list was printed, and an existing PDF was overwritten."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the contents of a private file")
    out = tmp_path / "reports"
    run = finished_run(out, "20261101-000000-1")
    (run / "index.html").write_text(HOSTILE_REPORT.format(secret=secret))
    (run / "planted.html").write_text("<html><body>not listed</body></html>")
    (out / "latest").symlink_to(run.name)

    done = cxex("pdf", out / "latest")
    assert done.returncode == 0, done.stderr
    text = _pdf_text(run / "index.pdf")
    assert "Visible words" in text and "20261101-000000-1" in text  # footer from the manifest
    assert "private file" not in text and "written by a script" not in text
    assert not (run / "planted.pdf").exists()

    printed = (run / "index.pdf").read_bytes()
    done = cxex("pdf", run)
    assert done.returncode == 2 and "--force replaces them" in done.stderr
    assert (run / "index.pdf").read_bytes() == printed

    # with --force, a link put in the PDF's place is replaced, never written through
    elsewhere = tmp_path / "not-cxex.pdf"
    elsewhere.write_bytes(b"someone else's file")
    (run / "index.pdf").unlink()
    (run / "index.pdf").symlink_to(elsewhere)
    done = cxex("pdf", run, "--force")
    assert done.returncode == 0, done.stderr
    assert elsewhere.read_bytes() == b"someone else's file"
    assert not (run / "index.pdf").is_symlink() and "Visible words" in _pdf_text(run / "index.pdf")
