"""Processes load the ranking maths' numeric libraries only when they compute with them."""

from __future__ import annotations

import subprocess
import sys


def _loaded(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(out.stdout.split())


def test_the_collector_and_its_service_do_not_import_scipy() -> None:
    loaded = _loaded("import services.collection, collector.round, scoring.rubric")
    assert "scipy" not in loaded and "numpy" not in loaded
    assert "scoring.board" not in loaded


def test_the_board_names_still_come_from_scoring() -> None:
    loaded = _loaded(
        "from scoring import compute_board, Board, SEGMENTS\n"
        "assert compute_board.__module__ == 'scoring.board' and SEGMENTS"
    )
    assert "scoring.board" in loaded


def test_the_command_line_does_not_load_scipy_until_a_board_needs_it() -> None:
    # scipy takes about a second to load; `reelboard --help` and most commands never use it.
    loaded = _loaded("import reelboard.cli, services.boards, services.boardview")
    assert "scipy" not in loaded and "scipy.stats" not in loaded
