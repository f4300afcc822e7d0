"""Project invariants a user would notice: set-up, notebooks clean, no import side effects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import papermill as pm
import yaml

from cxex_analysis import vocabulary
from cxex_analysis.contract import document, tables

from .conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # conda packages have no extras: psycopg[binary] on PyPI is psycopg on conda-forge
    wanted = {_name(r): re.sub(r"\[.*?\]", "", r.replace(" ", "")) for r in
              project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): d.replace(" ", "") for d in env["dependencies"]
             if isinstance(d, str) and not d.startswith(("python", "pip"))}
    assert conda == wanted, "environment.yml and pyproject.toml list different packages or versions"


def test_notebooks_are_committed_without_outputs():
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                           text=True).stdout.split()
    files = files or [p.relative_to(ROOT) for p in (ROOT / "notebooks").glob("*.ipynb")]
    assert files
    for name in files:
        notebook = json.loads((ROOT / name).read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), name


def test_notebook_parameters_are_typed_and_commented():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        parameters = pm.inspect_notebook(str(path))
        assert parameters, f"{path.name} has no parameters cell"
        # every line of the cell is read as a parameter: papermill skips a line it cannot
        # parse (an '=' in its comment) with a warning, and the parameter can then not be set
        cell = next(c for c in json.loads(path.read_text())["cells"]
                    if "parameters" in c.get("metadata", {}).get("tags", []))
        lines = [line for line in "".join(cell["source"]).splitlines() if line.strip()]
        assert len(parameters) == len(lines), (path.name, sorted(parameters))
        for name, spec in parameters.items():
            assert spec["inferred_type_name"] != "None", f"{path.name}: `{name}` has no type"
            assert spec["help"], f"{path.name}: `{name}` has no comment"


def test_notebooks_define_no_functions_and_edit_no_paths():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                assert not re.search(r"^\s*def |sys\.path|filterwarnings", source, re.MULTILINE), path.name


def test_readme_first_two_commands_and_ci():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.strip()]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    # CI runs the README's test command with its extended tier: everything `make test` runs
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test-all" in ci
    assert re.search(r'^test:.*\n\t\$\(PYTEST\) -m "not extended"$', makefile, re.MULTILINE)
    assert re.search(r"^test-all:.*\n\t\$\(PYTEST\)$", makefile, re.MULTILINE)
    for target in ("help", "demo", "test", "test-all", "lab", "bench"):
        assert re.search(rf"^{target}:.*## ", makefile, re.MULTILINE), f"make {target} is undocumented"


def test_import_prints_nothing_and_keeps_matplotlib_backend():
    code = ("import importlib, pkgutil, matplotlib; before = matplotlib.get_backend(); "
            "import cxex_analysis; "
            "[importlib.import_module(m.name) for m in "
            "pkgutil.walk_packages(cxex_analysis.__path__, 'cxex_analysis.')]; "
            "assert matplotlib.get_backend() == before")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


def test_the_data_contract_document_is_generated_from_the_rules_the_loader_enforces():
    written = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert written == document.markdown(), (
        "docs/data-contract.md is out of step with cxex_analysis/contract/tables.py: regenerate it "
        "with python -c \"from cxex_analysis.contract import document; "
        "open('docs/data-contract.md', 'w').write(document.markdown())\"")
    for table in tables.TABLES:  # every table and column of the contract is documented
        assert f"## {table.name} (" in written
        assert all(f"| `{column.name}` |" in written for column in table.columns)


def test_the_code_and_the_notebooks_pass_the_linter():
    """``make lint`` in the test run: the package, tests, benchmarks and notebooks (imports
    sorted and used, no undefined names, lines within 120 characters)."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "cxex_analysis", "tests",
                          "benchmarks", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_package_type_checks():
    """``make lint``'s mypy on the package: an Optional used as a value, a connection typed as
    a path or a keyword dict of the wrong types fails here, not in a report."""
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_metric_definitions_page_is_generated_from_the_reports_footnote():
    written = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert written == vocabulary.metrics_markdown(), (
        "docs/metrics.md is out of step with cxex_analysis/vocabulary.py: regenerate it with "
        "python -c \"from cxex_analysis import vocabulary; "
        "open('docs/metrics.md', 'w').write(vocabulary.metrics_markdown())\"")


def test_the_readme_layout_and_the_design_page_match_the_tree():
    """Every folder of the package is in the README's layout, every module in the design
    page's table of layers, and the docs the README links to exist."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    design = (ROOT / "docs" / "design.md").read_text()
    package = ROOT / "cxex_analysis"
    for folder in sorted(p for p in package.iterdir() if (p / "__init__.py").exists()):
        assert f"  {folder.name}/" in layout, f"README's layout misses cxex_analysis/{folder.name}/"
    for module in sorted(package.rglob("*.py")):
        if module.name != "__init__.py":
            assert f"`{module.stem}`" in design or f"`{module.name}`" in design, (
                f"docs/design.md does not place {module.relative_to(ROOT)} in a layer")
    for link in re.findall(r"\]\((docs/[^)#]+)\)", readme):
        assert (ROOT / link).exists(), f"README links to {link}, which does not exist"


def test_the_readme_lists_every_notebook_and_every_analysis():
    """The README's table of notebooks is the notebooks folder, and its layout names every
    analysis module (it once said "00-05" of eight notebooks and 9 of 12 analyses)."""
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| `(\d\d_\w+)` \|", readme, re.MULTILINE)
    assert listed == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")), listed
    layout = readme[readme.index("  analyses/"):readme.index("  narrative/")]
    named = set(re.findall(r"\b(\w+)\b", layout.split(":", 1)[1].split("(")[0]))
    modules = {p.stem for p in (ROOT / "cxex_analysis" / "analyses").glob("*.py")
               if not p.stem.endswith("_result")} - {"__init__"}  # results: beside their analysis
    assert modules <= named, sorted(modules - named)


#: a reference to the planning folder beside the repository (spelt so as not to match itself)
OUTSIDE = r"\.\./" + "shared" + r"|" + "shared" + r"/(design|data-contract|style|references)\.md"


def test_no_project_file_points_outside_the_repository():
    """The documentation a user needs is in the repository: nothing refers to the planning
    folder beside it (which a user who clones the project does not have)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    offenders = [name for name in files.stdout.split() if (ROOT / name).is_file()
                 and re.search(OUTSIDE, (ROOT / name).read_text(errors="ignore"))]
    assert not offenders, offenders


def test_every_test_the_security_page_names_exists():
    """docs/security.md says how each promise is tested: the tests it names must exist."""
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named, current = [], None
    for match in re.finditer(r"`(?:(test_\w+)\.py)?::(test_\w+)`|`(test_\w+)\.py`", page):
        current = match.group(1) or match.group(3) or current
        if match.group(2):
            named.append((current, match.group(2)))
    assert len(named) >= 30, named
    missing = [f"{module}.py::{name}" for module, name in named
               if not re.search(rf"^def {name}\(", (ROOT / "tests" / f"{module}.py").read_text(
                   encoding="utf-8"), re.M)]
    assert not missing, missing
