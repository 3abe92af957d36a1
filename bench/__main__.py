"""``python -m bench``: run every benchmark and print its figures."""

from __future__ import annotations

import sys

from bench import bench_collect, bench_workers

BENCHMARKS = {"collect": bench_collect.main, "workers": bench_workers.main}


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
