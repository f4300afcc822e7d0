"""Project invariants a user would notice: set-up, notebooks clean, no import side effects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import papermill as pm
import yaml

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
                           text=True).stdout.split() or [p.relative_to(ROOT) for p in (ROOT / "notebooks").glob("*.ipynb")]
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
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("help", "demo", "test", "lab", "bench"):
        assert re.search(rf"^{target}:.*## ", makefile, re.MULTILINE), f"make {target} is undocumented"


def test_import_prints_nothing_and_keeps_matplotlib_backend():
    code = ("import matplotlib; before = matplotlib.get_backend(); "
            "import cxex_analysis, cxex_analysis.plots, cxex_analysis.report, cxex_analysis.io, "
            "cxex_analysis.metrics, cxex_analysis.panels, cxex_analysis.runner, cxex_analysis.cli; "
            "assert matplotlib.get_backend() == before")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


def test_the_data_contract_document_is_generated_from_the_rules_the_loader_enforces():
    from cxex_analysis import contract

    written = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert written == contract.markdown(), (
        "docs/data-contract.md is out of step with cxex_analysis/contract.py: regenerate it with "
        "python -c \"from cxex_analysis import contract; "
        "open('docs/data-contract.md', 'w').write(contract.markdown())\"")
    for table in contract.TABLES:  # every table and column of the contract is documented
        assert f"## {table.name} (" in written
        assert all(f"| `{column.name}` |" in written for column in table.columns)
