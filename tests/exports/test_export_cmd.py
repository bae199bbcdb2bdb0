"""``trendwatch export`` and ``trendwatch rerun``: thin commands, clean errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.exports.planted import TRIO, planted_store
from trendwatch.cli import cli
from trendwatch.exports.pseudonyms import Pseudonymiser
from trendwatch.store import Store

KEY = "a key for the command tests"


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cmd") / "planted.duckdb"
    with Store(db) as store:
        result = planted_store(store)
    return db, result


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_export_writes_a_package_and_prints_its_files(planted_db, tmp_path):
    db, _ = planted_db
    out = invoke("export", "--package", tmp_path / "p", "--hashtag", "tag", "--db", db)
    assert out.exit_code == 0, out.output
    assert "wrote" in out.output and "posts.parquet" in out.output and "265" in out.output
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["scope"]["hashtags"] == ["tag"] and manifest["pseudonymised"] is None


def test_export_pseudonymises_with_the_key_from_the_environment(planted_db, tmp_path):
    db, _ = planted_db
    args = ("export", "--package", tmp_path / "p", "--pseudonymise", "--key-env", "MY_KEY",
            "--text", "mask", "--coarsen-times", "hour", "--group", "1", "--db", db,
            "--json")  # fmt: skip
    out = invoke(*args, env={"MY_KEY": KEY})
    assert out.exit_code == 0, out.output
    manifest = json.loads(out.output)
    assert manifest["pseudonymised"]["key_fingerprint"] == Pseudonymiser(KEY).fingerprint
    assert manifest["scope"]["group"] == 1 and KEY not in out.output
    data = b"".join(p.read_bytes() for p in (tmp_path / "p").iterdir())
    assert KEY.encode() not in data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say what to export: --package DIR or --lake DIR"),
        (("--package", "{out}", "--lake", "{out}2"), "(one of them)"),
        (("--lake", "{out}", "--hashtag", "x"), "scope and privacy options are for --package"),
        (("--package", "{out}", "--text", "mask"), "--text: only for pseudonymised packages"),
        (("--package", "{out}", "--pseudonymise", "--key-env", "UNSET_KEY_FOR_TEST"),
         "UNSET_KEY_FOR_TEST is not set"),
        (("--package", "{out}", "--hashtag", "nothing"), "no post in the package's scope"),
        (("--package", "{out}", "--ids-only", "--pseudonymise", "--key-env", "MY_KEY"),
         "cannot be pseudonymised"),
    ],
)  # fmt: skip
def test_export_errors_are_one_clean_line(planted_db, tmp_path, args, message):
    db, _ = planted_db
    filled = [str(a).format(out=tmp_path / "p") for a in args]
    out = invoke("export", *filled, "--db", db, env={"MY_KEY": KEY})
    assert out.exit_code != 0 and message in out.output and "Traceback" not in out.output


def test_export_ids_only(planted_db, tmp_path):
    db, _ = planted_db
    out = invoke("export", "--package", tmp_path / "ids", "--ids-only", "--db", db)
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "ids").iterdir()) == [
        "manifest.json", "post_ids_bluesky.txt", "post_ids_x.txt"
    ]  # fmt: skip


def test_rerun_says_a_package_read_back_reproduces_its_groups(planted_db, tmp_path):
    db, result = planted_db
    assert invoke("export", "--package", tmp_path / "p", "--pseudonymise", "--db", db,
                  env={"TRENDWATCH_KEY": KEY}).exit_code == 0  # fmt: skip
    assert invoke("ingest", tmp_path / "p", "--db", tmp_path / "new.duckdb").exit_code == 0
    out = invoke("rerun", result.run_id, "--db", tmp_path / "new.duckdb", "--json")
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert found["reproduced"] and found["stored_sizes"] == found["rerun_sizes"] == [len(TRIO)]


def test_rerun_fails_when_the_store_changed(planted_db, tmp_path):
    db, result = planted_db
    changed = tmp_path / "changed.duckdb"
    changed.write_bytes(db.read_bytes())
    with Store(changed) as store:
        store.con.execute("DELETE FROM posts WHERE author_id = ?", ["770077007701"])
    out = invoke("rerun", result.run_id, "--db", changed)
    assert out.exit_code == 1 and "NOT reproduced" in out.output
    assert "stored [3], again []" in out.output


def test_formats_names_the_package_first():
    out = invoke("formats")
    assert out.exit_code == 0 and out.output.splitlines()[0].startswith("package ")
