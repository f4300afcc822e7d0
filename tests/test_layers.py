"""The package's folders are its design: each layer imports only from the layers below it.

Layers, lowest first (``docs/design.md`` explains each):

    base         errors, config, results (the tidy schema), vocabulary, privacy, progress
    estimators   pure statistics on frames
    contract     the input tables, validation, quarantine
    store        the warehouse (DuckDB or PostgreSQL) and what it holds
    panels       unit x period panels and scores, read from the warehouse (the only SQL
                 an analysis needs)
    analyses     assemble panels, call estimators, return tidy frames (no SQL; never import
                 each other)
    narrative    plain-language findings from tidy frames
    reporting    tables, charts, the executive summary, exports
    simulation   demo organisations and the latent world the estimators are calibrated on
    run          parameters, fan-out, executors, publishing
    cli          the command line
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from cxex_analysis.run import sections

PACKAGE = Path(__file__).resolve().parents[1] / "cxex_analysis"
LAYERS = ("base", "estimators", "contract", "store", "panels", "analyses", "narrative",
          "reporting", "simulation", "run", "cli")
BASE = {"__init__", "errors", "config", "results", "vocabulary", "privacy", "progress"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: SQL inside a Python string: a statement keyword followed by what it works on
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|CREATE\s+(TABLE|VIEW)|DELETE\s+FROM)\b",
                 re.IGNORECASE | re.DOTALL)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> str:
    top = module.split(".")[0]
    if top in BASE:
        return "base"
    assert top in LAYERS, f"cxex_analysis/{module.replace('.', '/')}.py is in no layer"
    return top


def internal_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module inside the package) of every import of the package in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: relative import; import "
                                 "cxex_analysis.<layer>.<module> by its full name")
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        for name in names:
            if name == "cxex_analysis" and isinstance(node, ast.ImportFrom):
                found += [(node.lineno, a.name) for a in node.names]
            elif name.startswith("cxex_analysis."):
                module = name.removeprefix("cxex_analysis.")
                if isinstance(node, ast.ImportFrom) and f"{module}.{node.names[0].name}" in modules():
                    found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
                else:
                    found.append((node.lineno, module))
    return found


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_down(module):
    """A module imports only from lower layers (or its own; analyses never from each other,
    only each from its own typed results, ``analyses/<name>_result.py``)."""
    path = modules()[module]
    here = LAYERS.index(layer_of(module))
    for line, target in internal_imports(path):
        if target == "__version__":
            continue
        there = LAYERS.index(layer_of(target))
        where = f"cxex_analysis/{module.replace('.', '/')}.py:{line} imports {target}"
        assert there <= here, f"{where}, a layer above ({LAYERS[there]} over {LAYERS[here]})"
        if (LAYERS[here] == "analyses" and there == here and not module.endswith("__init__")
                and target != f"{module}_result"):  # its own result types
            raise AssertionError(f"{where}: analyses do not lean on each other; move what "
                                 "they share down to panels or estimators")


#: third-party libraries that take a second or more to import and serve one function each:
#: imported inside it, so that the notebooks' kernels that never call it do not pay for them
HEAVY_LIBRARIES = ("pingouin", "moderndid", "pyfixest.estimation",
                   "statsmodels.regression.linear_model")


@pytest.mark.parametrize("module", sorted(set(modules()) - {"cli"}))
def test_imports_at_the_top(module):
    """Every import sits at the top of its file, where a reader looks for it. Exceptions: the
    command line imports each command's layers when the command runs (so that `cxex --help`
    does not wait ten seconds for every estimator), and :data:`HEAVY_LIBRARIES`."""
    tree = ast.parse(modules()[module].read_text())
    top = {id(node) for node in tree.body}
    inside = [node.lineno for node in ast.walk(tree)
              if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top
              and (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name) not in HEAVY_LIBRARIES]
    assert not inside, f"cxex_analysis/{module.replace('.', '/')}.py: imports inside functions at lines {inside}"


@pytest.mark.parametrize("module", sorted(m for m in modules() if layer_of(m) not in
                                          ("contract", "store", "panels")))
def test_no_sql_outside_the_data_layers(module):
    """SQL lives in contract (the rules), store and panels; every other layer works on frames."""
    for node in ast.walk(ast.parse(modules()[module].read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not SQL.search(node.value), (
                f"cxex_analysis/{module.replace('.', '/')}.py:{node.lineno} holds SQL")
        if isinstance(node, ast.Attribute) and node.attr in ("execute", "sql"):
            raise AssertionError(f"cxex_analysis/{module.replace('.', '/')}.py:{node.lineno} "
                                 "runs a query")


def docstring_lines(tree: ast.AST) -> set[int]:
    """The lines of every docstring in ``tree`` (module, classes, functions)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_and_functions_stay_readable(module):
    """No module over 500 lines, no function over 80, docstrings not counted (their
    Examples make a module longer, not harder to read)."""
    path = modules()[module]
    tree = ast.parse(path.read_text())
    docs = docstring_lines(tree)
    code = len(path.read_text().splitlines()) - len(docs)
    assert code <= MAX_MODULE_LINES, f"{path} has {code} lines besides its docstrings"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            span = set(range(node.lineno, node.end_lineno + 1))
            length = len(span - docs)
            assert length <= MAX_FUNCTION_LINES, f"{path}:{node.lineno} {node.name} has {length} lines"


def test_the_layer_test_catches_an_upward_import(tmp_path):
    """The walk above finds an import of a higher layer (the check itself can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("from cxex_analysis.reporting.show import table\n")
    assert internal_imports(bad) == [(1, "reporting.show")]
    assert LAYERS.index(layer_of("reporting.show")) > LAYERS.index(layer_of("estimators.power"))


def test_every_named_module_and_function_exists():
    """Docstrings, docs, notebooks and benchmarks name code by its dotted path
    (``cxex_analysis.estimators.measurement.cross_lagged``); after a move, a name that no
    longer resolves sends a reader nowhere (issue 35 found seven)."""
    import importlib

    root = PACKAGE.parent
    texts = [*PACKAGE.rglob("*.py"), *(root / "docs").rglob("*.md"), root / "README.md",
             *(root / "notebooks").glob("*.ipynb"), *(root / "benchmarks").glob("*.py")]

    def resolves(name: str) -> bool:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                if not hasattr(found, attribute):
                    return False
                found = getattr(found, attribute)
            return True
        return False

    broken = sorted({f"{name} ({path.relative_to(root)})" for path in texts
                     for name in re.findall(r"cxex_analysis(?:\.\w+)+", path.read_text())
                     if not resolves(name)})
    assert not broken, broken


def caught(path: Path) -> list[tuple[int, str]]:
    """(line, exception name) of every ``except`` clause in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ExceptHandler):
            types = (node.type.elts if isinstance(node.type, ast.Tuple) else [node.type])
            found += [(node.lineno, ast.unparse(t) if t is not None else "everything")
                      for t in types]
    return found


@pytest.mark.parametrize("module", sorted(m for m in modules() if m.startswith("analyses.")))
def test_analyses_catch_only_insufficient_data(module):
    """An analysis turns "the data cannot support it" (InsufficientData) into a sentence and
    lets everything else through: a caller's bad argument (ParameterError) or a bug caught
    as ValueError would otherwise become a quiet "not estimated" row."""
    others = [(line, name) for line, name in caught(modules()[module])
              if name != "InsufficientData"]
    assert not others, f"cxex_analysis/{module.replace('.', '/')}.py catches {others}"


def test_the_catch_check_sees_a_tuple(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("try:\n    pass\nexcept (InsufficientData, ValueError):\n    pass\n")
    assert caught(bad) == [(3, "InsufficientData"), (3, "ValueError")]


#: notebook -> the part each of its sections computes: (section, the public function called)
SECTION_PARTS = {
    "01_ex_cx_linkage": {
        "correlations": ("H1", "linkage.correlations"),
        "effects": ("H2 and H3", "linkage.lagged_links"),
        "reliability": ("H2 and H3", "linkage.reliabilities"),
        "mediation": ("H4", "linkage.money_links"),
        "odds_ratio": ("H5", "top_cx_engagement_odds_ratio"),
        "weights": ("H6", "linkage.item_weights"),
        "trajectories": ("Dual impact: did EX and CX move together?", "unit_trajectories"),
        "dual": ("Dual impact: did EX and CX move together?", "dual_movement"),
        "checks": ("Testing many hypotheses, power and checks", "linkage.model_checks")},
    "02_pilot_analysis": {
        "sensitivity": ("4", "pilots.trend_sensitivity"),
        "sequential": ("5", "pilots.monitor_primary"),
        "heterogeneity": ("6", "pilots.subgroup_effects"),
        "power": ("7", "pilots.primary_power"),
        "decision": ("8", "pilots.decide")},
    "03_return_on_experience": {
        "simulated": ("3", "rox.simulate"),
        "breakeven": ("3", "value_model.break_even"),
        "programme_simulated": ("6", "rox.simulate")},
    "04_group_report": {
        "metrics": ("1", "groups.group_metrics"),
        "changes": ("2", "changes.since_last_survey"),
        "actions": ("6", "actions.group_review")},
    "05_verbatims": {
        "sentiment": ("1", "verbatims.sentiment_summary"),
        "actionable": ("1", "verbatims.actionable_summary"),
        "contrast": ("3", "verbatims.detractor_vs_promoter"),
        "shares": ("4", "verbatims.theme_share"),
        "dual": ("5", "verbatims.dual_view"),
        "emerging": ("6", "verbatims.emerging_themes")},
    "06_action_review": {
        "follow": ("1", "actions.follow_through"),
        "review": ("3", "action_effects.action_effects")},
    "07_claims": {
        "recommend": ("2", "claims.recommend_ratios"),
        "metrics": ("3", "claims.metric_comparison"),
        "right_first_time": ("4", "claims.right_first_time"),
        "retention_profit": ("5", "claims.retention_profit")},
}


@pytest.mark.parametrize("name", sorted(SECTION_PARTS))
def test_each_section_computes_its_own_part_and_a_closing_cell_sums_up(name):
    """Notebooks by section: the story is the computation. Each part is computed by its
    public function in the section that shows it (an analyst changes one there), nothing
    is computed for all of them in one call up front, and the summary box at the top is
    filled in by the one closing cell, which also records the results."""
    notebook = nbformat.read(str(PACKAGE.parent / "notebooks" / f"{name}.ipynb"), as_version=4)
    titles = sections.section_titles(notebook)
    computed = {}
    for cell, title in zip(notebook.cells, titles):
        if cell.cell_type == "code":
            assert not re.search(r"\b(linkage\.run|pilots\.analyse)\(", cell.source)
            for part, function in re.findall(r'with_part\(\(?"(\w+)"(?:, "\w+"\))?, ([\w.]+)',
                                              cell.source):
                computed[part] = (title.split(".")[0], function)
    assert computed == SECTION_PARTS[name]
    closing = [c for c in notebook.cells if sections.CLOSING in c.metadata.get("tags", [])]
    assert len(closing) == 1 and "summary.fill(" in closing[0].source
    assert "results.record(" in closing[0].source
    first = next(c for c in notebook.cells if "summary" in c.source and c.cell_type == "code"
                 and "summary_to_come" in c.source)
    assert titles[notebook.cells.index(first)] == "Summary"
