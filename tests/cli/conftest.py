"""Run the real `xenowatch` entry point in-process: its exit code, stdout and stderr."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pipeline.cli import main


@dataclass(frozen=True)
class Outcome:
    """What one command gave: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


Xenowatch = Callable[..., Outcome]


@pytest.fixture
def xenowatch(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Xenowatch:
    """Call `xenowatch ARGS...` through main() (the console script's path, usage errors included)."""

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["xenowatch", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        code = exit_info.value.code
        return Outcome(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run
