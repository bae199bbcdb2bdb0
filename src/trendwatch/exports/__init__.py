"""Files for other programs: CSV, GEXF and GraphML that hostile text cannot subvert.

Account ids, handles, hashtags and post texts are attacker-controlled (it is harassment we
analyse), and an export is opened by a spreadsheet or Gephi on a journalist's machine. Every
file the project writes for other programs goes through this package:

- :func:`write_csv` (a frame) and :func:`write_csv_rows` (rows streamed): a text cell that a
  spreadsheet would read as a formula is prefixed with ``'`` (OWASP's CSV-injection rule,
  :func:`neutralise`), every text cell is quoted (RFC 4180), numbers stay numbers.
  :func:`restore` undoes the prefix when the file is read back.
- :func:`write_gexf` and :func:`write_graphml`: characters XML 1.0 forbids are replaced with
  U+FFFD in every id, label and attribute (:func:`xml_text`), so the file is well-formed.
- Every writer writes a temporary file beside the target and renames it over the target only
  when the whole file is written (:func:`replacing`): a failure leaves no partial file, and an
  older file at that path stays as it was.

Which frames a command exports is decided where the data is (e.g.
:mod:`trendwatch.analysis.coordination.export`); how a file is written safely, only here.
"""

from __future__ import annotations

from .csvsafe import neutralise, restore, write_csv, write_csv_rows
from .files import replacing
from .network import write_gexf, write_graphml
from .xmlsafe import xml_ids, xml_text

__all__ = [
    "neutralise",
    "restore",
    "write_csv",
    "write_csv_rows",
    "replacing",
    "write_gexf",
    "write_graphml",
    "xml_ids",
    "xml_text",
]
