"""Comments as the warehouse holds them: customer and employee comments in file order, their
quarters and groups, and the units whose employee comments may be shown.
"""

from __future__ import annotations

import pandas as pd

from cxex_analysis.privacy import comments_allowed
from cxex_analysis.store.warehouse import has_table


def units_allowed_employee_comments(con, min_comment_group_size: int) -> set:
    """Units whose latest wave had enough respondents for their comments to be shown."""
    if not has_table(con, "employee_survey"):
        return set()
    counts = con.execute("""SELECT unit_id, count(*) FROM employee_survey
                            WHERE wave = (SELECT max(wave) FROM employee_survey)
                            GROUP BY unit_id""").fetchall()
    return {unit for unit, n in counts if comments_allowed(n, min_comment_group_size)}


def read_comments(con) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Customer comments (with their NPS answer) and employee comments, in file order; None
    for a survey the warehouse does not hold."""
    def read(sql: str, table: str):
        return con.execute(sql + f" FROM {table} WHERE comment IS NOT NULL ORDER BY source_row"
                           ).df() if has_table(con, table) else None

    return (read("SELECT response_id, unit_id, comment, nps", "customer_survey"),
            read("SELECT response_id, unit_id, comment", "employee_survey"))


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
