"""``python -m bench``: run every benchmark and print its figures.

python -m bench                  # all of them (collection, workers, board, dashboard)
python -m bench board --sizes 10000 --backends postgresql
python -m bench --entries 1000   # options without a name go to the collection benchmark
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import bench_board, bench_collect, bench_dashboard, bench_workers


def _board(argv: list[str]) -> int:
    bench_board.main(argv)
    return 0


BENCHMARKS: dict[str, Callable[[list[str]], int]] = {
    "collect": bench_collect.main,
    "workers": bench_workers.main,
    "board": _board,
    "dashboard": bench_dashboard.main,
}


def main() -> int:
    """``python -m bench`` runs them all; ``python -m bench NAME [ARGS]`` runs one."""
    args = sys.argv[1:]
    if args and args[0] in BENCHMARKS:
        return BENCHMARKS[args[0]](args[1:])
    if args:  # options without a name: the collection round's benchmark, as before
        return bench_collect.main(args)
    return max(run([]) for run in BENCHMARKS.values())


if __name__ == "__main__":
    sys.exit(main())
