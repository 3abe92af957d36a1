"""Pure ranking maths for reelboard: plain data in, board out.

No database, no network, no clock (``as_of`` is always a parameter). Imports nothing else of
reelboard. The public entry points:

* :func:`scoring.rubric.load_rubric`, :data:`scoring.rubric.DEFAULT_RUBRIC_TOML`
* :func:`scoring.inputs.select_snapshots` (which snapshot counts for each entry)
* :func:`scoring.board.compute_board` -> :class:`scoring.board.Board`
* :func:`scoring.reach.reach_report` (the libraries' own reach report)
"""

from scoring.board import SEGMENTS, Board, BoardRow, CriterionResult, Note, compute_board
from scoring.inputs import (
    BoardInputs,
    Conflict,
    EntryInput,
    FollowerCount,
    IndicatorInput,
    InputError,
    JudgeScoreInput,
    SnapshotInput,
    entry_cutoff,
    select_snapshots,
)
from scoring.rubric import DEFAULT_RUBRIC_TOML, Rubric, RubricError, load_rubric

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
    "JudgeScoreInput",
    "Note",
    "Rubric",
    "RubricError",
    "SnapshotInput",
    "compute_board",
    "entry_cutoff",
    "load_rubric",
    "select_snapshots",
]
