"""Tests for loading the rubric file: every malformed variant is refused with a message naming the fault."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core.errors import ConfigError
from pipeline.rubric.score import default_rubric_path, load_rubric


@pytest.fixture(scope="module")
def raw_rubric() -> dict[str, Any]:
    """The bundled rubric file as plain data, to derive broken variants from."""
    return yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    """Write a rubric variant to a temporary file."""
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken(raw: dict[str, Any], cid: str, **changes: Any) -> dict[str, Any]:
    """A copy of the rubric with one criterion's keys changed (None deletes)."""
    data = copy.deepcopy(raw)
    item = next(c for c in data["criteria"] if c["id"] == cid)
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return data


def test_copy_of_bundled_rubric_loads(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    assert load_rubric(write(tmp_path, raw_rubric)).version == "ilo-rubric-2.4"


def test_unknown_criterion(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    path = write(tmp_path, broken(raw_rubric, "hate_flag", id="foo"))
    with pytest.raises(ConfigError) as err:
        load_rubric(path)
    message = str(err.value)
    assert str(path) in message
    assert "criterion 'foo' is unknown" in message
    assert "must be one of: terminology, dehumanising, status_mention, migrant_voices" in message


@pytest.mark.parametrize("weight", [-1, "heavy", True, None])
def test_bad_weight(tmp_path: Path, raw_rubric: dict[str, Any], weight: Any) -> None:
    data = broken(raw_rubric, "dehumanising", weight=weight)
    if weight is None:
        data = broken(raw_rubric, "dehumanising", weight=None)
    with pytest.raises(ConfigError, match=r"criterion 'dehumanising' has weight .*>= 0"):
        load_rubric(write(tmp_path, data))


def test_duplicate_criterion(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_rubric)
    data["criteria"].append(copy.deepcopy(data["criteria"][-1]))
    with pytest.raises(ConfigError, match="criterion 'misinformation_flag' is listed more than"):
        load_rubric(write(tmp_path, data))


def test_weights_summing_to_zero(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_rubric)
    for item in data["criteria"]:
        item["weight"] = 0
    with pytest.raises(ConfigError, match="weights sum to 0"):
        load_rubric(write(tmp_path, data))


def test_missing_language_lexicon(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_rubric)
    del data["criteria"][0]["lexicon"]["es"]
    with pytest.raises(ConfigError, match=r"criterion 'terminology' has no lexicon for 'es'; "
                                          r"languages: en, fr, es"):
        load_rubric(write(tmp_path, data))


def test_missing_critique_language(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_rubric)
    del data["critique"]["fr"]
    with pytest.raises(ConfigError, match=r"critique has no lexicon for 'fr'"):
        load_rubric(write(tmp_path, data))


@pytest.mark.parametrize(("pattern", "message"), [
    (r"\billegal (immigrants", "invalid regex"),
    (r"\bIllegal immigrants\b", "lowercase without accents"),
    (r"\bimmigrés illégaux\b", "lowercase without accents"),
])
def test_bad_pattern(tmp_path: Path, raw_rubric: dict[str, Any], pattern: str,
                     message: str) -> None:
    data = copy.deepcopy(raw_rubric)
    data["criteria"][0]["lexicon"]["en"]["terms"][0]["pattern"] = pattern
    with pytest.raises(ConfigError, match=f"criterion 'terminology', en terms "
                                          f"'illegal_immigrant'.*{message}"):
        load_rubric(write(tmp_path, data))


def test_missing_or_unknown_template(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="needs templates for: pass, fail, missing, confirmed"):
        load_rubric(write(tmp_path, broken(raw_rubric, "hate_flag",
                                           explanation={"pass": "ok"})))
    bad = {"pass": "ok {reference}", "fail": "{oops}", "missing": "none", "confirmed": "c",
           "rejected": "r"}
    with pytest.raises(ConfigError, match=r"unknown fields \['oops'\]; must be among: reference"):
        load_rubric(write(tmp_path, broken(raw_rubric, "hate_flag", explanation=bad)))


def test_bad_param(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = broken(raw_rubric, "migrant_voices", params={"migrant": 1.0, "others": 2})
    with pytest.raises(ConfigError, match=r"param 'others' is 2; must be a number in \[0, 1\]"):
        load_rubric(write(tmp_path, data))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_rubric(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rubric(bad)
    bad.write_text("- just a list", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_rubric(bad)


def test_a_pattern_naming_a_set_the_file_lacks_is_refused(tmp_path: Path, raw_rubric: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_rubric)
    del data["sets"]["es"]["nacionalidades"]
    with pytest.raises(ConfigError, match=r"<<nacionalidades>>, which 'sets' does not define"):
        load_rubric(write(tmp_path, data))
    data = copy.deepcopy(raw_rubric)
    data["sets"]["en"]["nationalities"] = "afghans?|(unclosed"
    with pytest.raises(ConfigError, match=r"set 'nationalities' \(en\).*invalid regex"):
        load_rubric(write(tmp_path, data))
