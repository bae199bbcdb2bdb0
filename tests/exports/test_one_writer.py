"""One writer per export format: no module outside ``trendwatch.exports`` writes CSV or
network files by itself, so every future CSV gets the formula rule and every network the XML
rule (the quarantine's one-line CSV of a bad input row is stored, never exported)."""

from __future__ import annotations

import re
from pathlib import Path

import trendwatch

SRC = Path(trendwatch.__file__).parent
WRITERS = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(|\.write_graphml\(|<gexf")
ALLOWED = {("formats/tabular.py", "csv.writer(")}  # _as_csv: a quarantined row, as text


def test_only_the_exports_package_writes_csv_and_network_files():
    found = {
        (str(path.relative_to(SRC)), match.group())
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).parts[0] != "exports"
        for match in WRITERS.finditer(path.read_text(encoding="utf-8"))
    }
    assert found <= ALLOWED, sorted(found - ALLOWED)
