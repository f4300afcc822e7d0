"""Comments as the warehouse holds them: customer and employee comments in file order with
their writers' scores and prompts, their quarters and groups, the organisation's own names,
the units whose employee comments may be shown, and the comments annotated (tone, codebook
themes) once per warehouse version, shared by the group reports and the verbatims report.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn

from cxex_analysis.estimators import codebook as codebooks
from cxex_analysis.estimators.comment_annotation import Annotated, from_parts, labelled, to_parts
from cxex_analysis.estimators.theme_discovery import Themes, discover
from cxex_analysis.privacy import comments_allowed
from cxex_analysis.store import disk_cache
from cxex_analysis.store.warehouse import (
    connect,
    engagement_items,
    has_table,
    identity,
    location,
    table_columns,
)


def units_allowed_employee_comments(con, min_comment_group_size: int) -> set:
    """Units whose latest wave had enough respondents for their comments to be shown."""
    if not has_table(con, "employee_survey"):
        return set()
    counts = con.execute("""SELECT unit_id, count(*) FROM employee_survey
                            WHERE wave = (SELECT max(wave) FROM employee_survey)
                            GROUP BY unit_id""").fetchall()
    return {unit for unit, n in counts if comments_allowed(n, min_comment_group_size)}


def read_comments(con) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Customer comments (with the writer's NPS, CSAT and effort answers) and employee
    comments (with the writer's eNPS answer and mean engagement item), each with its prompt (None
    where the file had no ``comment_prompt``), in file order; None for a survey the warehouse
    does not hold."""
    customers = employees = None
    if has_table(con, "customer_survey"):
        customers = con.execute(f"""
            SELECT response_id, unit_id, responded_at AS at, comment,
                   {", ".join(_optional(con, "customer_survey", c, "INTEGER") for c in ("nps", "csat", "ces"))},
                   {_optional(con, "customer_survey", "comment_prompt", "VARCHAR")}
            FROM customer_survey WHERE comment IS NOT NULL ORDER BY source_row""").df()
    if has_table(con, "employee_survey"):
        items = engagement_items(con)
        # in floating point on both back ends (PostgreSQL divides integers as integers)
        mean = (f"CAST({' + '.join(f'coalesce({i}, 0)' for i in items)} AS DOUBLE PRECISION) / nullif("
                f"{' + '.join(f'CAST({i} IS NOT NULL AS INTEGER)' for i in items)}, 0)"
                if items else "NULL")
        employees = con.execute(f"""
            SELECT response_id, unit_id, CAST(wave AS TIMESTAMP) AS at, comment, {mean} AS item_mean,
                   {_optional(con, "employee_survey", "enps", "INTEGER")},
                   {_optional(con, "employee_survey", "comment_prompt", "VARCHAR")}
            FROM employee_survey WHERE comment IS NOT NULL ORDER BY source_row""").df()
    return customers, employees


def _optional(con, table: str, column: str, sql_type: str) -> str:
    """The column, or NULL under its name when the table lacks it (an optional column)."""
    return column if column in table_columns(con, table) else f"CAST(NULL AS {sql_type}) AS {column}"


def organisation_names(con) -> list[str]:
    """The organisation's own unit ids, unit names and region names (kept out of themes)."""
    if not has_table(con, "units"):
        return []
    name = "unit_name" if "unit_name" in table_columns(con, "units") else "NULL"
    rows = con.execute(f"SELECT unit_id, {name}, region FROM units").fetchall()
    return sorted({value for row in rows for value in row if isinstance(value, str)})


def comment_quarters(con, source: str, by: str) -> pd.DataFrame | None:
    """Per comment of ``source`` (customer or employee): its quarter (answer date or survey
    wave) and its unit's ``by`` group; None when the warehouse has no such survey."""
    table, column = (("customer_survey", "responded_at") if source == "customer"
                     else ("employee_survey", "wave"))
    if not has_table(con, table):
        return None
    return con.execute(
        f"SELECT s.response_id, CAST(date_trunc('quarter', s.{column}) AS DATE) AS quarter, u.{by} "
        f"FROM {table} s JOIN units u USING (unit_id) WHERE s.comment IS NOT NULL").df()


def annotated_comments(con, codebook: str = "", seed: int = 0) -> Annotated:
    """Every comment with its tone and codebook themes (no discovery), as notebook 05 labels
    them; computed once per warehouse version, codebook and seed in a kernel, so the group
    reports a kernel runs share it."""
    text = Path(codebook).read_bytes() if codebook and Path(codebook).is_file() else b""
    return _annotated(identity(con), location(con), codebook, hashlib.sha256(text).hexdigest(),
                      seed)


@functools.lru_cache(maxsize=2)
def _annotated(key: str, path: str, codebook: str, codebook_digest: str, seed: int) -> Annotated:
    """In this kernel's memory, else on disk (shared by the run's kernels and later runs on
    the same warehouse version), else learnt. The disk entry's key holds the package's source
    (:func:`~cxex_analysis.store.disk_cache.package_digest`) and these libraries' versions."""
    return disk_cache.cached(
        "comments", (key, codebook, codebook_digest, seed, pd.__version__, sklearn.__version__),
        lambda: _annotate(path, codebook, seed), to_parts,
        lambda parts: from_parts(parts, codebooks.load(codebook or None)))


def kept_discovery(texts: pd.Series, n_themes: int, seed: int, excluded, groups=None,
                   context: pd.Series | None = None) -> Themes:
    """:func:`~cxex_analysis.estimators.theme_discovery.discover`, kept on disk under what it
    reads (the comments, their groups, the context comments, the words left out and the
    settings): the linkage and verbatims reports find a warehouse's themes once (issue 41: 15 s
    each at 5,000 units)."""
    content = [pd.util.hash_pandas_object(texts.fillna(""), index=False).to_numpy().tobytes()]
    if groups is not None:
        content.append(pd.util.hash_pandas_object(pd.Series(groups, dtype=str), index=False)
                       .to_numpy().tobytes())
    if context is not None:
        content.append(pd.util.hash_pandas_object(context.fillna(""), index=False)
                       .to_numpy().tobytes())
    key = hashlib.sha256(b"|".join(content)).hexdigest()
    return disk_cache.cached(
        "themes", (key, n_themes, seed, sorted(excluded), pd.__version__, sklearn.__version__),
        lambda: discover(texts, n_themes, seed, excluded, groups=groups, context=context),
        _themes_parts, _themes_from_parts)


def _themes_parts(found: Themes) -> tuple[dict[str, pd.DataFrame], dict]:
    return ({"theme": pd.DataFrame({"theme": np.asarray(found.theme, dtype="int64")})},
            {"labels": list(found.labels), "stability": [float(x) for x in found.stability],
             "dropped": int(found.dropped), "method": found.method})


def _themes_from_parts(parts: tuple[dict[str, pd.DataFrame], dict]) -> Themes:
    frames, document = parts
    return Themes(list(document["labels"]), frames["theme"]["theme"].to_numpy(),
                  list(document["stability"]), int(document["dropped"]), document["method"])


def _annotate(path: str, codebook: str, seed: int) -> Annotated:
    themes = codebooks.load(codebook or None)
    con = connect(path)
    try:
        customers, employees = read_comments(con)
    finally:
        con.close()
    return labelled(customers, employees, themes, seed)
