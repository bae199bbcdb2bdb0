"""Fuzz ingest for minutes with hostile inputs, and count the inputs that break a promise.

Usage: ``python benchmarks/fuzz_ingest.py [--minutes 10] [--seed N] [--keep DIR]``
(run from the repository root with ``src`` on ``PYTHONPATH``).

Each round draws one to three inputs from ``tests/hostile.py`` (valid records of one format
mixed with records cut short, bytes that are not UTF-8, deep nesting, lines over the record
size cap, blank lines, a byte-order mark; maybe compressed, maybe cut or damaged; or a
Parquet table, maybe cut or damaged), ingests them with the format detected or forced (X v2
inputs now and then by the parallel reader, in pieces of 512 bytes), and checks what the
property test checks:

* ingest returns a report (no exception escapes it), one entry per input;
* for every input ``read = added + duplicates + skipped + quarantined``;
* the store changed by exactly what the report says (posts added, quarantine rows);
* a JSON Lines input read without error counts at least one record per line that is not
  blank.

It prints the inputs tried, per format, and the failures (target 0); with ``--keep DIR``
each failing round's inputs are written there with the failure.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.hostile

from tests.hostile import (  # noqa: E402
    FORMATS,
    VALID_SOURCES,
    hostile_input,
    ingest_accounted,
    read_options,
)
from tests.test_ingest_hostile import _lines_at_least  # noqa: E402
from trendwatch.store import Store  # noqa: E402


def one_round(rng: random.Random, folder: Path) -> tuple[str, list[bytes], str | None]:
    """Ingest one draw of inputs: (its format, the inputs, what failed or None)."""
    fmt = rng.choice(FORMATS)
    forced = rng.random() < 0.5
    workers = fmt.startswith("twarc2") and rng.random() < 0.15
    inputs = [hostile_input(rng, fmt) for _ in range(rng.randrange(1, 4))]
    paths = []
    for i, data in enumerate(inputs):
        paths.append(folder / f"input{i}")
        paths[-1].write_bytes(data)
    try:
        with Store(":memory:") as store:
            report = ingest_accounted(
                paths, store, format=fmt if forced else None, options=read_options(workers)
            )
        assert len(report.files) == len(paths), "a file is missing from the report"
        for file, data in zip(report.files, inputs, strict=True):
            if forced and fmt in VALID_SOURCES and fmt != "csv" and file.error is None:
                assert file.read >= _lines_at_least(data), f"lines not counted: {file}"
    except BaseException as exc:  # noqa: BLE001 - every failure is counted and shown
        if isinstance(exc, KeyboardInterrupt):
            raise
        return fmt, inputs, "".join(traceback.format_exception(exc))[-3000:]
    return fmt, inputs, None


def keep(folder: Path, number: int, inputs: list[bytes], failure: str) -> None:
    case = folder / f"failure-{number:04d}"
    case.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(inputs):
        (case / f"input{i}").write_bytes(data)
    (case / "failure.txt").write_text(failure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: random)")
    parser.add_argument("--keep", type=Path, default=None, help="write failing inputs here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    tried, failures, by_format = 0, 0, Counter()
    deadline = time.monotonic() + args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        while time.monotonic() < deadline:
            fmt, inputs, failure = one_round(rng, Path(tmp))
            tried += len(inputs)
            by_format[fmt] += len(inputs)
            if failure is not None:
                failures += 1
                print(f"FAILURE {failures} ({fmt}):\n{failure}", flush=True)
                if args.keep:
                    keep(args.keep, failures, inputs, failure)
    print(f"seed {seed}, {args.minutes:g} min: {tried:,} inputs tried, {failures} failures")
    print("inputs per format: " + ", ".join(f"{f} {n:,}" for f, n in sorted(by_format.items())))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
