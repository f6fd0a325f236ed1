"""Usage errors and bad inputs: one `error:` line and exit 1, before any model loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.core.jsonl import check_head
from tests.cli.conftest import Xenowatch


@pytest.mark.parametrize(("args", "line"), [
    (["classify", "--jsnol", "in.jsonl"], "error: xenowatch classify: no such option --jsnol; did you mean --jsonl? "
                                          "(see 'xenowatch classify --help')"),
    (["--dbb", "x.duckdb", "ingest"], "error: xenowatch: no such option --dbb; did you mean --db? "
                                      "(see 'xenowatch --help')"),
    (["classify"], "error: xenowatch classify: missing option '--jsonl' (see 'xenowatch classify --help')"),
    (["clasify"], "error: xenowatch: no such command 'clasify'; did you mean 'classify'? (see 'xenowatch --help')"),
    (["sources", "remove"], "error: xenowatch sources remove: missing argument 'name_or_url' "
                            "(see 'xenowatch sources remove --help')"),
])
def test_usage_errors_are_one_line_and_exit_1(xenowatch: Xenowatch, args: list[str], line: str) -> None:
    result = xenowatch(*args)
    assert (result.code, result.out, result.err) == (1, "", line + "\n")


def test_the_installed_entry_point_agrees() -> None:
    proc = subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--strikt"], capture_output=True, text=True,
                          timeout=120)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == ("error: xenowatch ingest: no such option --strikt; did you mean --strict? "
                           "(see 'xenowatch ingest --help')\n")


def test_a_bad_value_names_the_option(xenowatch: Xenowatch) -> None:
    result = xenowatch("rank", "--year", "twenty")
    assert result.code == 1 and result.err.count("\n") == 1 and "╭" not in result.err
    assert result.err.startswith("error: xenowatch rank: invalid value for '--year': ")


def test_help_still_shows_and_exits_0(xenowatch: Xenowatch) -> None:
    bare = xenowatch("sources")
    assert bare.code == 0 and "disable" in bare.out and "remove" in bare.out
    assert xenowatch("ingest", "--help").code == 0


CHECK = """
import json, sys
from pipeline.cli import main
codes = []
for path in sys.argv[1:]:
    sys.argv = ["xenowatch", "classify", "--jsonl", path]
    try:
        main()
    except SystemExit as exc:
        codes.append(exc.code)
print(json.dumps({"codes": codes, "torch": "torch" in sys.modules,
                  "models": "pipeline.classify.classifier" in sys.modules}))
"""


def test_classify_checks_its_input_before_loading_models(tmp_path: Path) -> None:
    cases = {"missing.jsonl": None, "binary.jsonl": b"\x7fELF\x02\x01\x01\x00\x00" * 50,
             "table.csv": b"id,text\n1,hello\n", "latin1.jsonl": '{"text": "café"}\n'.encode("latin-1"),
             "folder": "dir"}
    for name, data in cases.items():
        if data == "dir":
            (tmp_path / name).mkdir()
        elif data is not None:
            (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / name) for name in cases]
    proc = subprocess.run([sys.executable, "-c", CHECK, *paths], capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout) == {"codes": [1] * len(cases), "torch": False, "models": False}, proc.stderr
    errors = proc.stderr.splitlines()
    assert len(errors) == len(cases) and all(e.startswith("error: ") for e in errors)
    missing, binary, table, latin1, folder = errors
    assert "missing.jsonl: no such file" in missing and "binary file" in binary
    assert "not JSON Lines" in table and "invalid JSON" in table
    assert "invalid UTF-8" in latin1 and "re-encode the file as UTF-8" in latin1 and "a folder" in folder


def test_classify_refuses_a_missing_output_folder_first(tmp_path: Path, xenowatch: Xenowatch) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "hello"}\n')
    result = xenowatch("classify", "--jsonl", str(src), "--out", str(tmp_path / "nowhere" / "out.jsonl"))
    assert result.code == 1 and result.err.startswith("error: --out ") and "does not exist" in result.err


@pytest.mark.parametrize(("head", "whole"), [
    (b'{not json\n{"id": 2, "text": "fine"}\n', True),  # a bad first line: that line's own error, the rest processed
    (b'{"text": "' + b"x" * 100, False),  # the start of a first line longer than the head: judged line by line
    (b"", True),
])
def test_files_with_some_usable_lines_pass_the_check(head: bytes, whole: bool) -> None:
    check_head(head, whole, name="in.jsonl")


def test_a_file_of_json_that_is_not_objects_is_refused() -> None:
    with pytest.raises(InputError, match="in.jsonl: not JSON Lines: no line of the first 2 is a UTF-8 JSON object"):
        check_head(b"[1, 2]\n3\n", whole=True, name="in.jsonl")
