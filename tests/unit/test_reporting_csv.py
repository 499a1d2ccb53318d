"""CSV exports open safely in Excel: text that would be a formula is
neutralised, numbers stay numbers (negative ones too)."""
import csv
import io

import pytest

from services.common import csvfile
from services.reporting import reports


def parse(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("cell,written", [
    ("=HYPERLINK(\"http://evil.example\",\"คลิก\")", "'=HYPERLINK(\"http://evil.example\",\"คลิก\")"),
    ("+66812345678", "'+66812345678"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("สำนักงานเขตบางรัก", "สำนักงานเขตบางรัก"),
    ("2026-01-31", "2026-01-31"),
    ("a=b", "a=b"),
    ("", ""),
])
def test_text_cells_that_start_a_formula_are_neutralised(cell, written):
    [header, row] = parse(csvfile.to_csv(["name"], [[cell]]))
    assert row == [written]


def test_numbers_are_written_as_numbers_even_when_negative():
    text = csvfile.to_csv(["id", "change", "share", "count", "flag", "none"],
                          [["p1", -0.125, -3, 0, True, None]])
    [header, row] = parse(text)
    assert row == ["p1", "-0.125", "-3", "0", "True", ""]
    assert "'-" not in text


def test_a_header_from_a_query_is_neutralised_too():
    [header, _] = parse(csvfile.to_csv(["=cmd|' /C calc'!A0", "x"], [[1, 2]]))
    assert header[0].startswith("'=")


def test_report_exports_neutralise_names():
    result = {"level": "agency", "from": "2026-01-01", "to": "2026-01-31",
              "results": [{"rank": 1, "id": "=1+1", "count": 40, "score": 4.1, "csat": 0.8,
                           "csat_ci": [0.65, 0.9]}]}
    [_, row] = parse(reports.rankings_csv(result))
    assert row[4] == "'=1+1" and row[3] == "1" and row[6] == "4.1"
