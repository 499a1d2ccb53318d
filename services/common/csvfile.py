"""CSV files people open in Excel (plain module): UTF-8 with a BOM, and
text cells Excel would run as formulas neutralised. Every CSV the platform
writes (reports, exports, open data) goes through here."""
import csv
import io

# A text cell starting with one of these is a formula to Excel and
# LibreOffice ("=HYPERLINK(…)" in an agency or point name): see OWASP's
# "CSV Injection". A leading ' makes it text again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One cell: numbers as numbers (a negative one stays a number: it is
    ours, not someone's text), text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(header, rows):
    """CSV text with a BOM, so Excel opens Thai text as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff" + out.getvalue()
