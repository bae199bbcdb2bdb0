"""Property tests: arbitrary bytes and arbitrary JSON never crash ingest and are accounted for."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trendwatch.formats import FORMAT_ORDER
from trendwatch.ingest import ingest
from trendwatch.store import Store

JSON_FORMATS = [name for name in FORMAT_ORDER if name not in ("csv", "parquet")]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)  # orjson writes 64-bit integers only
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "data",
                    "includes",
                    "user",
                    "text",
                    "author_id",
                    "created_at",
                    "account",
                    "content",
                    "uri",
                    "record",
                    "commit",
                    "did",
                    "kind",
                    "verb",
                    "actor",
                    "object",
                    "reblog",
                    "referenced_tweets",
                    "id_str",
                    "tags",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _accounted(report) -> None:
    for file in report.files:
        parts = file.added + file.duplicates + file.skipped + file.quarantined
        assert file.read == parts, file
        if file.error:
            assert file.read == 0 or file.format is not None


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash(tmp_path, data):
    path = tmp_path / "input.bin"
    path.write_bytes(data)
    with Store(":memory:") as store:
        report = ingest([path], store)
    _accounted(report)


@SETTINGS
@given(values=st.lists(json_values, min_size=1, max_size=5), fmt=st.sampled_from(JSON_FORMATS))
def test_arbitrary_json_lines_forced_into_any_format_are_accounted(tmp_path, values, fmt):
    path = tmp_path / "input.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(v) for v in values) + b"\n")
    with Store(":memory:") as store:
        report = ingest([path], store, format=fmt)
    _accounted(report)
    (file,) = report.files
    assert file.error is None, file.error
    # Every line is something (a post, a skip or a quarantine), except a line holding an empty
    # JSON array: a line may be an array of records (recorded API responses), and [] has none;
    # and a file that is one empty value ({}, null) holds no records, as an empty file.
    if any(value != [] for value in values) and values not in ([{}], [None]):
        assert file.read >= 1


@SETTINGS
@given(values=st.lists(json_values, max_size=5))
def test_arbitrary_json_detected_or_refused_cleanly(tmp_path, values):
    path = tmp_path / "input.json"
    path.write_bytes(orjson.dumps(values))
    with Store(":memory:") as store:
        report = ingest([path], store)
    _accounted(report)


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_truncated_last_line_is_quarantined_not_lost(tmp_path, fmt):
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"id": "1", "text": "cut here')
    with Store(":memory:") as store:
        report = ingest([path], store, format=fmt)
        (file,) = report.files
        assert (file.read, file.quarantined) == (1, 1)
        assert store.quarantine().count().execute() == 1
