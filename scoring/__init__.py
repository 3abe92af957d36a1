"""Pure ranking maths for reelboard: plain data in, board out.

No database, no network, no clock (``as_of`` is always a parameter). Imports nothing else of
reelboard. The public entry points:

* :func:`scoring.rubric.load_rubric`, :data:`scoring.rubric.DEFAULT_RUBRIC_TOML`
* :func:`scoring.inputs.select_snapshots` (which snapshot counts for each entry)
* :func:`scoring.board.compute_board` -> :class:`scoring.board.Board`
* :func:`scoring.reach.reach_report` (the libraries' own reach report)
"""

from typing import TYPE_CHECKING, Any

from scoring.inputs import (
    BoardInputs,
    Conflict,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    InputError,
    JudgeScoreColumns,
    JudgeScoreInput,
    SnapshotInput,
    SnapshotSeries,
    entry_cutoff,
    select_snapshots,
)
from scoring.rubric import DEFAULT_RUBRIC_TOML, Rubric, RubricError, load_rubric

if TYPE_CHECKING:
    from scoring.board import SEGMENTS, Board, BoardRow, CriterionResult, Note, compute_board

# The board module brings numpy and scipy (tens of MB). Processes that only validate rubrics or
# read inputs (a collection worker, the command line) do not pay for it until they use it.
_FROM_BOARD = frozenset(
    {"SEGMENTS", "Board", "BoardRow", "CriterionResult", "Note", "compute_board"}
)


def __getattr__(name: str) -> Any:
    if name in _FROM_BOARD:
        from scoring import board

        return getattr(board, name)
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")


__all__ = [
    "DEFAULT_RUBRIC_TOML",
    "SEGMENTS",
    "Board",
    "BoardInputs",
    "BoardRow",
    "Conflict",
    "CriterionResult",
    "EntryInput",
    "FollowerCount",
    "IndicatorInput",
    "InputError",
    "JudgeScoreColumns",
    "JudgeScoreInput",
    "Note",
    "Rubric",
    "RubricError",
    "SnapshotInput",
    "SnapshotSeries",
    "compute_board",
    "entry_cutoff",
    "load_rubric",
    "select_snapshots",
]
