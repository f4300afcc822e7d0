import duckdb
import pytest

from cxex_analysis import warehouse
from cxex_analysis.errors import CxexError, UnusableFileError


def test_failed_ingest_leaves_the_warehouse_as_it_was(small_folder, tmp_path):
    target = tmp_path / "w.duckdb"
    folder = small_folder()
    warehouse.ingest(folder, target)
    (folder / "units.csv").write_text("unit_id,unit_type\nU1,store\n")  # region missing
    with pytest.raises(UnusableFileError, match="region"):
        warehouse.ingest(folder, target)
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM units").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM customer_survey").fetchone()[0] == 3


def test_tables_absent_from_a_new_ingest_are_removed(small_folder, tmp_path):
    target = tmp_path / "w.duckdb"
    folder = small_folder(extra={"unit_outcomes.csv": "unit_id,period,revenue\nU1,2025-01-01,10\n"})
    warehouse.ingest(folder, target)
    (folder / "unit_outcomes.csv").unlink()
    warehouse.ingest(folder, target)
    con = warehouse.connect(target)
    assert not warehouse.has_table(con, "unit_outcomes")


def test_connect_to_a_missing_warehouse_says_how_to_make_one(tmp_path):
    with pytest.raises(CxexError, match="cxex ingest"):
        warehouse.connect(tmp_path / "none.duckdb")


def test_item_view_has_one_row_per_answer(con):
    items = warehouse.engagement_items(con)
    assert len(items) == 7
    answers = con.execute("SELECT count(*) FROM employee_item_responses").fetchone()[0]
    non_blank = con.execute("SELECT " + " + ".join(f"count({i})" for i in items)
                            + " FROM employee_survey").fetchone()[0]
    assert answers == non_blank


def test_ingest_log_records_file_hashes(con):
    rows = con.execute("SELECT \"table\", sha256, rows_read FROM ingest_files WHERE status='ok'").fetchall()
    assert len(rows) == 6 and all(len(r[1]) == 64 for r in rows)
