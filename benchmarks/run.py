"""Run every benchmark with one command and print their figures.

    python benchmarks/run.py                      # SQLite, modest sizes (a few minutes)
    python benchmarks/run.py --postgres postgresql://postgres@127.0.0.1:5432
    python benchmarks/run.py --full --postgres ...  # the sizes the issues name (long)

Each benchmark measures through HTTP and the raw database doing the same work on the same
machine, and prints each figure with its ratio. See benchmarks/README.md for recorded figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# benchmark -> (accepts a PostgreSQL *server* URL, extra arguments for --full)
BENCHMARKS: dict[str, tuple[bool, list[str]]] = {
    "bench_timeseries.py": (True, ["--full"]),
    "bench_spatial.py": (True, ["--points", "2000000"]),
    "bench_structured.py": (True, ["--query-docs", "500000"]),
    "bench_files.py": (False, ["--size-gb", "2"]),
    "bench_registry.py": (False, ["--sbottom-regions", "3", "--copies", "48"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--postgres", help="PostgreSQL server URL; also run on PostgreSQL")
    parser.add_argument("--full", action="store_true", help="the full sizes the issues name")
    parser.add_argument("--only", help="run only benchmarks whose file name contains this")
    args = parser.parse_args()
    failures = 0
    for name, (takes_server, full_args) in BENCHMARKS.items():
        script = HERE / name
        if not script.exists() or (args.only and args.only not in name):
            continue
        targets: list[list[str]] = [[]]
        if args.postgres and takes_server:
            targets.append(["--database-url", args.postgres])
        for target in targets:
            backend = "PostgreSQL" if target else "SQLite"
            print(f"\n=== {name} on {backend} ===", flush=True)
            command = [sys.executable, str(script), *target, *(full_args if args.full else [])]
            failures += subprocess.run(command, check=False).returncode != 0  # noqa: S603
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
