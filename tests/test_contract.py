"""Bad input: every rule of the data contract (docs/data-contract.md), at least one test per rule.

Each bad row must be quarantined with the file, row number, column and reason; a file that
cannot be used must give an error naming file, column and what was expected; and always
rows read = rows accepted + rows quarantined.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxex_analysis.contract import files, validation
from cxex_analysis.errors import UnusableFileError

from .conftest import CUSTOMER_HEADER, GOOD_CUSTOMER_ROWS, UNITS_CSV, write_folder

AS_OF = dt.datetime(2026, 1, 1)


def check(folder, **kwargs):
    con = duckdb.connect()
    report = validation.check_directory(con, folder, as_of=kwargs.pop("as_of", AS_OF), **kwargs)
    quarantine = validation.quarantine_frame(con)
    for table in report.tables.values():
        assert table.rows_read == table.rows_accepted + table.rows_quarantined, table
    return report, quarantine, con


def only_quarantined(quarantine, table="customer_survey"):
    rows = quarantine[quarantine["table_name"] == table]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# -------------------------------------------------------------------- files that work

def test_valid_folder_accepts_everything(small_folder):
    report, quarantine, con = check(small_folder())
    assert report.usable
    assert report.tables["customer_survey"].rows_accepted == 3
    assert quarantine.empty
    stamps = con.execute("SELECT responded_at FROM acc_customer_survey ORDER BY source_row").fetchall()
    # +01:00 is converted to UTC
    assert stamps[2][0] == dt.datetime(2025, 2, 7, 11, 0)


def test_column_names_are_normalised(small_folder, tmp_path):
    units = " Unit ID ,REGION,Unit-Type\nU1,North,Store\nU2,South,call_centre\n"
    report, quarantine, con = check(small_folder(units=units))
    assert report.tables["units"].rows_accepted == 2
    assert con.execute("SELECT unit_type FROM acc_units ORDER BY unit_id").fetchall() == [
        ("Store",), ("call_centre",)]


def test_regions_and_unit_types_are_the_organisations_own_words(small_folder):
    """Free labels in any script, trimmed, matched ignoring case and repeated spaces, kept as
    first written (issue 32: 40 units of type "Call Centre (UK)" were quarantined)."""
    units = ("unit_id,region,unit_type\n"
             "U1,Île-de-France,Call Centre (UK)\n"
             "U2,  île-de-france ,call centre  (uk)\n"
             "U3,東京,Clinic\n"
             "U4,North & East / A.1,CLINIC\n"
             "U5,東京 ,Pharmacy\n")
    report, quarantine, con = check(small_folder(units=units))
    assert report.tables["units"].rows_accepted == 5
    assert quarantine[quarantine["table_name"] == "units"].empty
    rows = con.execute("SELECT unit_id, region, unit_type FROM acc_units ORDER BY unit_id").fetchall()
    assert rows == [("U1", "Île-de-France", "Call Centre (UK)"), ("U2", "Île-de-France", "Call Centre (UK)"),
                    ("U3", "東京", "Clinic"), ("U4", "North & East / A.1", "Clinic"),
                    ("U5", "東京", "Pharmacy")]


def test_utf8_bom_is_read(small_folder):
    folder = small_folder()
    (folder / "units.csv").write_bytes(b"\xef\xbb\xbf" + UNITS_CSV.encode())
    report, _, con = check(folder)
    assert report.tables["units"].rows_accepted == 2
    assert report.tables["units"].encoding == "utf-8"


def test_latin1_csv_is_read(small_folder):
    folder = small_folder()
    text = UNITS_CSV.replace("North", "Nördlich")
    (folder / "units.csv").write_bytes(text.encode("latin-1"))
    report, _, con = check(folder)
    assert report.tables["units"].encoding == "latin-1"
    assert con.execute("SELECT region FROM acc_units WHERE unit_id='U1'").fetchone()[0] == "Nördlich"


def test_excel_input(small_folder):
    folder = small_folder()
    frame = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "region": ["North", "South", "East"],
                          "unit_type": ["store", "branch", "kiosk"],
                          "opened_on": [dt.datetime(2020, 1, 2), None, "not a date"]})
    (folder / "units.csv").unlink()
    frame.to_excel(folder / "units.xlsx", index=False)
    report, quarantine, con = check(folder)
    assert report.tables["units"].format == "xlsx"
    assert report.tables["units"].rows_read == 3
    bad = only_quarantined(quarantine, "units")
    assert (bad["row"], bad["column_name"], bad["value"]) == (4, "opened_on", "not a date")
    assert con.execute("SELECT opened_on FROM acc_units WHERE unit_id='U1'").fetchone()[0] == dt.date(2020, 1, 2)


def test_parquet_input(small_folder):
    folder = small_folder()
    frame = pd.DataFrame({"response_id": ["P1", "P2"], "responded_at": pd.to_datetime(["2025-01-01", "2025-01-02"]),
                          "unit_id": ["U1", "U2"], "channel": ["web", "web"], "nps": [10, 12]})
    (folder / "customer_survey.csv").unlink()
    frame.to_parquet(folder / "customer_survey.parquet")
    report, quarantine, _ = check(folder)
    assert report.tables["customer_survey"].format == "parquet"
    bad = only_quarantined(quarantine)
    assert (bad["row"], bad["column_name"], bad["value"]) == (2, "nps", "12")


QUALTRICS = (
    'StartDate,EndDate,Status,IPAddress,ResponseId,RecordedDate,Q_unit,Q1,Q2,Q3_TEXT,Q_channel\n'
    '"Start Date","End Date","Response Type","IP Address","Response ID","Recorded Date",'
    '"Which store?","How likely are you to recommend us? (0-10)","How satisfied were you?",'
    '"Tell us more","Channel"\n'
    '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""ipAddress""}","{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate""}",'
    '"{""ImportId"":""QID9""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}",'
    '"{""ImportId"":""QID3_TEXT""}","{""ImportId"":""QID4""}"\n'
    '2025-01-05 09:58:00,2025-01-05 10:00:00,IP Address,192.0.2.1,R_abc1,2025-01-05 10:00:01,U1,9,5,Lovely,web\n'
    '2025-01-06 09:58:00,2025-01-06 10:00:00,IP Address,192.0.2.2,R_abc2,2025-01-06 10:00:01,U2,13,4,Hmm,phone\n'
)
MAPPING = """
customer_survey:
  columns:
    ResponseId: response_id
    RecordedDate: responded_at
    QID9: unit_id
    Q1: nps
    QID2: csat
    QID3_TEXT: comment
    Q_channel: channel
"""


def test_qualtrics_export_is_recognised_and_mapped(small_folder):
    folder = small_folder(extra={"qualtrics_mapping.yaml": MAPPING})
    (folder / "customer_survey.csv").write_text(QUALTRICS)
    report, quarantine, con = check(folder)
    table = report.tables["customer_survey"]
    assert table.qualtrics and table.format == "qualtrics_csv"
    assert table.rows_read == 2  # the question-text and import-id rows are not data
    bad = only_quarantined(quarantine)
    assert (bad["row"], bad["column_name"], bad["value"]) == (5, "nps", "13")
    assert con.execute("SELECT response_id, unit_id, nps FROM acc_customer_survey").fetchall() == [
        ("R_abc1", "U1", 9)]
    assert "IPAddress" in table.ignored_columns  # never loaded


def test_qualtrics_external_reference_maps_to_the_customer_key(small_folder):
    """Qualtrics carries the CRM's id in ExternalReference (issue 36): mapped to
    customer_key it joins the answers to customer_outcomes; the recipient's e-mail address
    beside it is never loaded."""
    export = QUALTRICS.splitlines()
    extra = [',ExternalReference,RecipientEmail', ',"External Data Reference","Recipient Email"',
             ',"{""ImportId"":""externalDataReference""}","{""ImportId"":""recipientEmail""}"',
             ',CRM-0042,ann.lee@example.org', ',CRM-0043,bo.chen@example.org']
    folder = small_folder(extra={"qualtrics_mapping.yaml": MAPPING + "    ExternalReference: "
                                 "customer_key\n"})
    (folder / "customer_survey.csv").write_text(
        "\n".join(line + more for line, more in zip(export, extra)) + "\n")
    report, _, con = check(folder)
    table = report.tables["customer_survey"]
    assert "RecipientEmail" in table.ignored_columns
    assert con.execute("SELECT response_id, customer_key FROM acc_customer_survey").fetchall() == [
        ("R_abc1", "CRM-0042")]


def test_qualtrics_export_without_mapping_names_the_missing_column(small_folder):
    folder = small_folder()
    (folder / "customer_survey.csv").write_text(QUALTRICS)
    report, _, _ = check(folder)
    error = report.tables["customer_survey"].error
    assert "response_id" in error and "Qualtrics" in error and "customer_survey.csv" in error


def test_comment_of_100000_characters_is_loaded_intact(small_folder):
    long = "x" * 100_000
    report, quarantine, con = check(small_folder(GOOD_CUSTOMER_ROWS + [f"C9,2025-01-05T10:00:00Z,U1,web,8,,,{long}"]))
    assert quarantine.empty
    length = "SELECT length(comment) FROM acc_customer_survey WHERE response_id='C9'"
    assert con.execute(length).fetchone()[0] == 100_000


# -------------------------------------------------------------------- unusable files

def test_empty_file_is_unusable(small_folder):
    folder = small_folder()
    (folder / "customer_survey.csv").write_text("")
    report, _, _ = check(folder)
    table = report.tables["customer_survey"]
    assert table.status == "unusable"
    assert "customer_survey.csv" in table.error and "empty" in table.error
    with pytest.raises(UnusableFileError):
        report.raise_if_unusable()


def test_header_only_file_is_unusable(small_folder):
    report, _, _ = check(small_folder([]))
    table = report.tables["customer_survey"]
    assert table.status == "unusable" and "no data rows" in table.error


def test_missing_required_column_names_file_column_and_expectation(small_folder):
    folder = small_folder()
    (folder / "units.csv").write_text("unit_id,unit_type\nU1,store\n")
    report, _, _ = check(folder)
    error = report.tables["units"].error
    assert "units.csv" in error and "'region'" in error and "Expected:" in error
    # the surveys that depend on units are not checked against a broken unit list
    assert report.tables["customer_survey"].status == "not_checked"


def test_missing_units_file_is_unusable(small_folder):
    folder = small_folder()
    (folder / "units.csv").unlink()
    report, _, _ = check(folder)
    assert report.tables["units"].status == "unusable"
    assert "required file is missing" in report.tables["units"].error


def test_no_survey_at_all_is_unusable(tmp_path):
    folder = write_folder(tmp_path / "d", {"units.csv": UNITS_CSV})
    report, _, _ = check(folder)
    assert not report.usable
    assert "neither survey" in report.tables["customer_survey"].error


def test_too_few_engagement_items_is_unusable(small_folder):
    folder = small_folder(extra={"employee_survey.csv":
                                 "response_id,wave,unit_id,role,eng_tools,eng_voice\nR1,2025-03-31,U1,frontline,4,5\n"})
    report, _, _ = check(folder)
    error = report.tables["employee_survey"].error
    assert "eng_*" in error and "at least 3" in error


def test_two_files_for_one_table_is_unusable(small_folder):
    folder = small_folder()
    pd.read_csv(folder / "units.csv").to_parquet(folder / "units.parquet")
    report, _, _ = check(folder)
    assert "more than one file" in report.tables["units"].error


def test_binary_garbage_is_unusable_not_a_traceback(small_folder):
    folder = small_folder()
    (folder / "units.xlsx").unlink(missing_ok=True)
    (folder / "units.csv").unlink()
    (folder / "units.xlsx").write_bytes(b"\x00\x01 not a workbook")
    report, _, _ = check(folder)
    assert "cannot be read as Excel" in report.tables["units"].error


def test_two_columns_meaning_the_same_is_unusable(small_folder):
    folder = small_folder()
    (folder / "units.csv").write_text("unit_id,Unit ID,region,unit_type\nU1,U1,North,store\n")
    report, _, _ = check(folder)
    assert "two columns both mean 'unit_id'" in report.tables["units"].error


# -------------------------------------------------------------------- bad rows

@pytest.mark.parametrize("row, column, reason_part, value", [
    ("C9,2025-01-05T10:00:00Z,U1,store,11,,,", "nps", "out of range", "11"),
    ("C9,2025-01-05T10:00:00Z,U1,store,,0,,", "csat", "out of range", "0"),
    ("C9,2025-01-05T10:00:00Z,U1,store,,,8,", "ces", "out of range", "8"),
    ("C9,2025-01-05T10:00:00Z,U1,store,7.5,,,", "nps", "not a whole number", "7.5"),
    ("C9,2025-01-05T10:00:00Z,U1,store,seven,,,", "nps", "not a number", "seven"),
    ("C9,2025-01-05T10:00:00Z,U1,store,nan,,,", "nps", "not a number", None),
    ("C9,2025-01-05T10:00:00Z,U404,store,5,,,", "unit_id", "unknown unit_id", "U404"),
    ("C9,2030-01-05T10:00:00Z,U1,store,5,,,", "responded_at", "in the future", None),
    ("C9,05/01/2025,U1,store,5,,,", "responded_at", "not a timestamp", "05/01/2025"),
    (",2025-01-05T10:00:00Z,U1,store,5,,,", "response_id", "blank", None),
    ("C9,,U1,store,5,,,", "responded_at", "blank", None),
    ("C9,2025-01-05T10:00:00Z,U1,fax,5,,,", "channel", "not an allowed value", "fax"),
    ("C9,2025-01-05T10:00:00Z,U1,store,,,,no scores", "nps", "none of nps, csat, ces", None),
    ("C1,2025-01-05T10:00:00Z,U1,store,5,,,", "response_id", "duplicate response_id", "C1"),
    ("C9,0001-01-01T00:00:00Z,U1,store,5,,,", "responded_at", "out of range", None),
    ("C9,2025-01-05T10:00:00Z,U1,store,5,,,tab\tok but not\x1b[31m", "comment",
     "control character", "tab\tok but not�[31m"),
])
def test_customer_row_rules(small_folder, row, column, reason_part, value):
    report, quarantine, _ = check(small_folder(GOOD_CUSTOMER_ROWS + [row]))
    bad = only_quarantined(quarantine)
    assert bad["file"] == "customer_survey.csv"
    assert bad["row"] == 5  # header is row 1, the bad row is the 4th data row
    assert bad["column_name"] == column
    assert reason_part in bad["reason"]
    if value is not None:
        assert bad["value"] == value
    assert report.tables["customer_survey"].rows_accepted == 3


def test_boolean_rule(small_folder):
    folder = small_folder()
    (folder / "customer_survey.csv").write_text(
        "response_id,responded_at,unit_id,channel,nps,resolved_first_contact\n"
        "C1,2025-01-05,U1,phone,5,yes\nC2,2025-01-05,U1,phone,5,maybe\nC3,2025-01-05,U1,phone,5,0\n")
    report, quarantine, con = check(folder)
    bad = only_quarantined(quarantine)
    assert (bad["row"], bad["column_name"], bad["value"]) == (3, "resolved_first_contact", "maybe")
    assert con.execute("SELECT resolved_first_contact FROM acc_customer_survey ORDER BY source_row").fetchall() == [
        (True,), (False,)]


def test_duplicate_keeps_first_valid_row(small_folder):
    rows = ["C1,2025-01-05T10:00:00Z,U1,store,99,,,", "C1,2025-01-06T10:00:00Z,U1,store,5,,,",
            "C1,2025-01-07T10:00:00Z,U1,store,6,,,"]
    report, quarantine, con = check(small_folder(rows))
    # the first C1 is out of range; the second is the first *valid* one and is kept
    assert con.execute("SELECT nps FROM acc_customer_survey").fetchall() == [(5,)]
    assert sorted(quarantine["row"]) == [2, 4]


def test_future_is_checked_against_as_of(small_folder):
    folder = small_folder(GOOD_CUSTOMER_ROWS + ["C9,2025-06-01T10:00:00Z,U1,store,5,,,"])
    report, quarantine, _ = check(folder, as_of=dt.datetime(2025, 3, 1))
    assert only_quarantined(quarantine)["row"] == 5


def test_unparseable_date_in_employee_survey(small_folder):
    employees = ("response_id,wave,unit_id,role,eng_a,eng_b,eng_c,enps,employee_key\n"
                 "R1,2025-03-31,U1,frontline,4,5,3,8,E1\n"
                 "R2,31.03.2025,U1,frontline,4,5,3,8,E2\n"
                 "R3,2025-03-31,U1,contractor,4,5,3,8,E3\n"
                 "R4,2025-03-31,U1,manager,4,6,3,8,E4\n"
                 "R5,2025-03-31,U1,manager,4,,3,11,E5\n"
                 "R6,2025-03-31,U1,manager,4,,,,jane.doe@example.com\n"
                 "R7,2025-03-31,U1,back_office,,,,,E7\n")
    report, quarantine, con = check(small_folder(extra={"employee_survey.csv": employees}))
    rows = quarantine[quarantine["table_name"] == "employee_survey"].set_index("row")
    assert rows.loc[3, "column_name"] == "wave" and "not a date" in rows.loc[3, "reason"]
    assert rows.loc[4, "column_name"] == "role"
    assert rows.loc[5, "column_name"] == "eng_b" and "out of range" in rows.loc[5, "reason"]
    assert rows.loc[6, "column_name"] == "enps"
    assert rows.loc[7, "column_name"] == "employee_key" and "e-mail" in rows.loc[7, "reason"]
    # blank items are allowed
    assert con.execute("SELECT response_id FROM acc_employee_survey ORDER BY 1").fetchall() == [("R1",), ("R7",)]


def test_unit_rules(small_folder):
    units = ("unit_id,region,unit_type,opened_on\nU1,North,store,2020-01-01\nU2,South,call_centre,\n"
             "U1,West,store,\nU3,,store,\nU4,East,,\nU5,East,team,yesterday\n")
    report, quarantine, _ = check(small_folder(units=units))
    rows = quarantine[quarantine["table_name"] == "units"].set_index("row")
    assert rows.loc[4, "reason"].startswith("duplicate unit_id")
    assert rows.loc[5, "column_name"] == "region" and "blank" in rows.loc[5, "reason"]
    assert rows.loc[6, "column_name"] == "unit_type" and "blank" in rows.loc[6, "reason"]
    assert rows.loc[7, "column_name"] == "opened_on"


def test_unit_outcome_rules(small_folder):
    outcomes = ("unit_id,period,revenue,customers_active,customers_lost,employees,employees_left\n"
                "U1,2025-01-01,100.5,50,5,10,1\n"
                "U1,2025-01-01,100,50,5,10,1\n"
                "U1,2025-02-15,100,50,5,10,1\n"
                "U1,2025-03-01,-1,50,5,10,1\n"
                "U1,2025-04-01,100,50,60,10,1\n"
                "U9,2025-05-01,100,50,5,10,1\n"
                "U1,2025-06-01,100,50,5,10.5,1\n")
    report, quarantine, _ = check(small_folder(extra={"unit_outcomes.csv": outcomes}))
    rows = quarantine[quarantine["table_name"] == "unit_outcomes"].set_index("row")
    assert rows.loc[3, "reason"].startswith("duplicate unit_id + period")
    assert rows.loc[4, "column_name"] == "period" and "first day" in rows.loc[4, "reason"]
    assert rows.loc[5, "column_name"] == "revenue"
    assert rows.loc[6, "column_name"] == "customers_lost"
    assert rows.loc[7, "column_name"] == "unit_id"
    assert rows.loc[8, "column_name"] == "employees" and "whole number" in rows.loc[8, "reason"]
    assert report.tables["unit_outcomes"].rows_accepted == 1


def test_unit_outcomes_without_any_metric_is_unusable(small_folder):
    report, _, _ = check(small_folder(extra={"unit_outcomes.csv": "unit_id,period\nU1,2025-01-01\n"}))
    assert "none of the columns" in report.tables["unit_outcomes"].error


def test_customer_outcome_rules(small_folder):
    """The CRM's customer-months (issue 36): a key that looks like an e-mail address, a month
    given twice, a day for a month, negative revenue, an unknown unit and a customer still
    active after the day they left are quarantined with their row and column."""
    outcomes = ("customer_key,unit_id,period,revenue,active,churned_on,contacts\n"
                "K1,U1,2025-01-01,30.5,true,,1\n"
                "K1,U1,2025-01-01,30,true,,1\n"
                "K2,U1,2025-01-15,30,true,,0\n"
                "K3,U2,2025-01-01,-4,true,,0\n"
                "K4,U9,2025-01-01,20,true,,0\n"
                "pat@example.com,U1,2025-01-01,20,true,,0\n"
                "K5,U2,2025-03-01,0,yes,2025-02-10,0\n"
                "K5,U2,2025-02-01,12,no,2025-02-10,2\n")
    report, quarantine, con = check(small_folder(extra={"customer_outcomes.csv": outcomes}))
    rows = quarantine[quarantine["table_name"] == "customer_outcomes"].set_index("row")
    assert rows.loc[3, "reason"].startswith("duplicate customer_key + period")
    assert rows.loc[4, "column_name"] == "period" and "first day" in rows.loc[4, "reason"]
    assert rows.loc[5, "column_name"] == "revenue"
    assert rows.loc[6, "column_name"] == "unit_id"
    assert rows.loc[7, "column_name"] == "customer_key" and "e-mail" in rows.loc[7, "reason"]
    assert rows.loc[8, "column_name"] == "active" and "left" in rows.loc[8, "reason"]
    entry = report.tables["customer_outcomes"]
    assert (entry.rows_read, entry.rows_accepted) == (8, 2)
    assert con.execute("SELECT customer_key, active FROM acc_customer_outcomes ORDER BY period"
                       ).fetchall() == [("K1", True), ("K5", False)]


def test_platform_score_rules(small_folder):
    """A platform's unit-level exports (issue 37): an unknown measure, a measure given twice
    for a unit and period, no respondents, a value outside the scale and a scale upside down
    are quarantined with their row and column; periods of any length are accepted."""
    scores = ("unit_id,period,measure,value,n,sd,scale_min,scale_max\n"
              "U1,2025-01-01,engagement,72.5,40,14,0,100\n"
              "U1,2025-01-01,ENG_Manager,3.9,40,0.8,1,5\n"
              "U1,2025-01-01,happiness,70,40,,,\n"
              "U1,2025-01-01,engagement,71,40,,,\n"
              "U2,2024-07-01,enps,12,0,,,\n"
              "U2,2024-07-01,pct_favourable,104,30,,0,100\n"
              "U2,2024-07-01,eng_voice,4,30,,5,1\n"
              "U2,2024-01-01,enps,-8,25,,-100,100\n")
    metrics = ("unit_id,period,metric,value,better,unit\n"
               "U1,2024-01-01,readmission index,0.92,lower,ratio\n"
               "U1,2024-01-01,readmission index,0.93,lower,ratio\n"
               "U2,2024-01-01,readmission index,1.04,sometimes,ratio\n"
               "U2,2024-01-01,sales per m2,,higher,EUR\n")
    report, quarantine, con = check(small_folder(extra={
        "employee_scores.csv": scores, "unit_metrics.csv": metrics,
        "customer_scores.csv": "unit_id,period,measure,value,n\nU1,2025-01-01,nps,31,88\n"
                               "U1,2025-01-01,engagement,70,9\n"}))
    rows = quarantine[quarantine["table_name"] == "employee_scores"].set_index("row")
    assert rows.loc[4, "column_name"] == "measure" and "not a measure" in rows.loc[4, "reason"]
    assert rows.loc[5, "reason"].startswith("duplicate unit_id + period + measure")
    assert rows.loc[6, "column_name"] == "n"
    assert rows.loc[7, "column_name"] == "value" and "scale" in rows.loc[7, "reason"]
    assert rows.loc[8, "column_name"] == "scale_max"
    assert (report.tables["employee_scores"].rows_read,
            report.tables["employee_scores"].rows_accepted) == (8, 3)
    assert con.execute("SELECT measure FROM acc_employee_scores ORDER BY period, measure"
                       ).fetchall() == [("enps",), ("ENG_Manager",), ("engagement",)]
    customers = quarantine[quarantine["table_name"] == "customer_scores"]
    assert customers["row"].tolist() == [3] and "nps, csat or ces" in customers["reason"].iloc[0]
    bad = quarantine[quarantine["table_name"] == "unit_metrics"].set_index("row")
    assert bad.loc[3, "reason"].startswith("duplicate unit_id + period + metric")
    assert bad.loc[4, "column_name"] == "better" and bad.loc[5, "column_name"] == "value"
    assert report.tables["unit_metrics"].rows_accepted == 1


def test_customer_outcomes_need_a_metric(small_folder):
    report, _, _ = check(small_folder(extra={
        "customer_outcomes.csv": "customer_key,unit_id,period\nK1,U1,2025-01-01\n"}))
    assert "none of the columns" in report.tables["customer_outcomes"].error


def test_customer_key_that_looks_like_an_email_is_quarantined(small_folder):
    folder = small_folder(extra={"customer_survey.csv": CUSTOMER_HEADER.replace(
        "comment\n", "comment,customer_key\n") + "C1,2025-01-05T10:00:00Z,U1,store,9,5,6,Fine,K1\n"
        "C2,2025-01-06T11:00:00Z,U2,phone,3,2,2,Slow,ann.lee@example.org\n"})
    _, quarantine, _ = check(folder)
    row = only_quarantined(quarantine)
    assert (row["row"], row["column_name"]) == (3, "customer_key") and "e-mail" in row["reason"]


def test_pilot_rules(small_folder):
    pilots = ("pilot_id,name,design,primary_outcome,cost_per_unit\nP1,KB,randomized,csat,100\n"
              "P1,Again,randomized,csat,1\nP2,X,guesswork,csat,\nP3,Y,staggered,happiness,\n")
    assignments = ("pilot_id,unit_id,arm,start_date\nP1,U1,treatment,2025-01-01\nP1,U2,control,\n"
                   "P1,U1,control,\nP9,U1,treatment,2025-01-01\nP1,U7,control,\n"
                   "P1,U2,placebo,\n")
    report, quarantine, _ = check(small_folder(extra={"pilots.csv": pilots,
                                                      "pilot_assignments.csv": assignments}))
    p = quarantine[quarantine["table_name"] == "pilots"].set_index("row")
    assert p.loc[3, "reason"].startswith("duplicate pilot_id")
    assert p.loc[4, "column_name"] == "design"
    assert p.loc[5, "column_name"] == "primary_outcome"
    a = quarantine[quarantine["table_name"] == "pilot_assignments"].set_index("row")
    assert a.loc[4, "reason"].startswith("duplicate pilot_id + unit_id")
    assert a.loc[5, "column_name"] == "pilot_id" and "unknown" in a.loc[5, "reason"]
    assert a.loc[6, "column_name"] == "unit_id"
    assert a.loc[7, "column_name"] == "arm"


def test_control_with_start_date_and_treatment_without(small_folder):
    pilots = "pilot_id,design\nP1,randomized\n"
    assignments = ("pilot_id,unit_id,arm,start_date\nP1,U1,control,2025-01-01\nP1,U2,treatment,\n")
    report, quarantine, _ = check(small_folder(extra={"pilots.csv": pilots,
                                                      "pilot_assignments.csv": assignments}))
    a = quarantine[quarantine["table_name"] == "pilot_assignments"].set_index("row")
    assert "control unit has a start_date" in a.loc[2, "reason"]
    assert "treatment unit has no start_date" in a.loc[3, "reason"]


def test_assignments_without_pilots_file_are_unusable(small_folder):
    report, _, _ = check(small_folder(extra={"pilot_assignments.csv": "pilot_id,unit_id,arm\nP1,U1,control\n"}))
    assert "refers to pilots, which is missing" in report.tables["pilot_assignments"].error


def test_unparseable_lines_are_quarantined_with_their_line(small_folder):
    rows = GOOD_CUSTOMER_ROWS[:1] + ["C5,2025-01-05T10:00:00Z,U1"] + GOOD_CUSTOMER_ROWS[1:] + [
        "C6,2025-01-05T10:00:00Z,U1,store,5,,,,,extra"]
    report, quarantine, con = check(small_folder(rows))
    assert sorted(quarantine["row"]) == [3, 6]
    assert all("could not be parsed" in r for r in quarantine["reason"])
    # rows after a rejected line keep their true line numbers
    assert con.execute("SELECT response_id, source_row FROM acc_customer_survey ORDER BY source_row").fetchall() == [
        ("C1", 2), ("C2", 4), ("C3", 5)]


def test_rows_with_several_problems_count_them(small_folder):
    report, quarantine, _ = check(small_folder(GOOD_CUSTOMER_ROWS + ["C9,2025-01-05T10:00:00Z,U404,fax,11,9,,"]))
    bad = only_quarantined(quarantine)
    assert bad["column_name"] == "unit_id" and bad["issues"] == 4


def test_mapping_file_errors_are_clear(small_folder, tmp_path):
    bad = tmp_path / "map.yaml"
    bad.write_text("customers:\n  columns: {a: b}\n")
    with pytest.raises(UnusableFileError, match="unknown table 'customers'"):
        files.load_mapping(bad)


def test_a_line_longer_than_the_limit_gets_a_clear_error(small_folder):
    huge = "y" * (files.MAX_LINE_BYTES + 10)
    report, _, _ = check(small_folder(GOOD_CUSTOMER_ROWS + [f"C9,2025-01-05T10:00:00Z,U1,web,8,,,{huge}"]))
    error = report.tables["customer_survey"].error
    assert "customer_survey.csv" in error and "line longer than 2 MB" in error


@pytest.mark.parametrize("bad_lines", [40, 300])  # both ways of numbering (<= 256 rejects, more)
def test_rows_keep_their_line_numbers_among_many_unparseable_lines(small_folder, bad_lines):
    rng = np.random.default_rng(bad_lines)
    rows, expected_good, expected_bad = [], [], []
    for i in range(1000):
        line = i + 2  # the header is line 1
        if len(expected_bad) < bad_lines and rng.random() < bad_lines / 700:
            rows.append(f"B{i},2025-01-05T10:00:00Z,U1,store,not-a-number,5,6,")
            expected_bad.append(line)
        else:
            rows.append(f"G{i},2025-01-05T10:00:00Z,U1,store,9,5,6,")
            expected_good.append((f"G{i}", line))
    report, quarantine, con = check(small_folder(rows))
    assert sorted(quarantine["row"]) == expected_bad and len(expected_bad) == bad_lines
    assert con.execute("SELECT response_id, source_row FROM acc_customer_survey "
                       "ORDER BY source_row").fetchall() == expected_good


def test_a_platform_export_in_its_own_words_is_mapped_as_csv_and_as_excel(small_folder):
    """A unit-level export with the platform's own headers and no scale columns (issue 37):
    the mapping renames its columns and adds the scale as constants, from a plain CSV and
    from an Excel workbook alike; a column it does not map is ignored, not guessed."""
    mapping = ("employee_scores:\n  columns:\n    Team ID: unit_id\n    Survey period: period\n"
               "    Metric: measure\n    Score: value\n    Responses: n\n    Std dev: sd\n"
               "  constants:\n    scale_min: 0\n    scale_max: 100\n")
    export = pd.DataFrame({"Team ID": ["U1", "U2", "U1"],
                           "Survey period": ["2025-01-01", "2025-01-01", "2024-01-01"],
                           "Metric": ["engagement", "engagement", "enps"],
                           "Score": [72.5, 140.0, 12.0], "Responses": [40, 31, 38],
                           "Std dev": [14.0, 12.0, None], "Benchmark": [70, 70, 10]})
    for suffix in ("csv", "xlsx"):
        folder = small_folder(extra={"column_mapping.yaml": mapping})
        (folder / "employee_scores.csv").unlink(missing_ok=True)  # the folder is reused
        path = folder / f"employee_scores.{suffix}"
        export.to_csv(path, index=False) if suffix == "csv" else export.to_excel(path, index=False)
        report, quarantine, con = check(folder)
        table = report.tables["employee_scores"]
        assert (table.rows_read, table.rows_accepted) == (3, 2), (suffix, table)
        held = quarantine[quarantine["table_name"] == "employee_scores"]
        # 140 is outside the 0-100 scale the mapping gave: row 3 of the file
        assert held["row"].tolist() == [3] and held["column_name"].tolist() == ["value"], suffix
        rows = con.execute("SELECT unit_id, measure, value, n, scale_max FROM "
                           "acc_employee_scores ORDER BY period").fetchall()
        assert rows == [("U1", "enps", 12.0, 38, 100.0), ("U1", "engagement", 72.5, 40, 100.0)]
        assert "Benchmark" in table.ignored_columns, suffix
