"""`python -m soak`: seeded simulated weeks of the whole exporter; exit 1 on any violation.

python -m soak --seeds 20 --days 7                 # the long soak (make soak)
python -m soak --configs maximal --seed 17 --days 7   # reproduce one run
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path

from soak import figures
from soak.adapter import BROKEN_COMPONENTS, CONFIGS
from soak.harness import Result, run_seed


def _workdir() -> Path:
    # tmpfs when there is one: every request and snapshot is fsynced.
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def _one(job: tuple[str, int, float, str, str | None]) -> tuple[Result, str | None]:
    config, seed, days, parent, broken = job
    workdir = Path(tempfile.mkdtemp(prefix=f"soak-{config}-{seed}-", dir=parent))
    result = run_seed(config, seed, days, workdir, broken)
    if result.failure is None:
        shutil.rmtree(workdir, ignore_errors=True)
        return result, None
    return result, str(workdir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m soak", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="how many seeds per config")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--seed", type=int, help="run this one seed (reproduce a failure)")
    ap.add_argument("--days", type=float, default=7.0, help="simulated days per run")
    ap.add_argument("--configs", default="default,maximal", help=f"of {', '.join(CONFIGS)}")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--workdir", type=Path, default=_workdir(), help="state dirs go here")
    ap.add_argument("--broken", choices=BROKEN_COMPONENTS, help="break a guard on purpose")
    args = ap.parse_args(argv)
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            ap.error(f"--configs: unknown config {c!r}; one of {', '.join(CONFIGS)}")
    seeds = (
        [args.seed]
        if args.seed is not None
        else list(range(args.first_seed, args.first_seed + args.seeds))
    )
    jobs = [(c, s, args.days, str(args.workdir), args.broken) for c in configs for s in seeds]
    results: list[Result] = []
    kept: dict[tuple[str, int], str] = {}
    workers = max(1, min(args.jobs, len(jobs)))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for result, path in pool.imap_unordered(_one, jobs):
            print(figures.run_line(result), flush=True)
            results.append(result)
            if path is not None:
                kept[(result.config, result.seed)] = path
    print()
    for c in configs:
        print(figures.summary(c, sorted((r for r in results if r.config == c), key=_seed)))
    failed = sorted((r for r in results if r.failure is not None), key=_seed)
    for r in failed:
        print()
        print(figures.failure_text(r, args.days))
        print(f"  state directory kept: {kept[(r.config, r.seed)]}")
    print()
    print(f"{len(results) - len(failed)} of {len(results)} runs without a violation")
    return 1 if failed else 0


def _seed(r: Result) -> tuple[str, int]:
    return (r.config, r.seed)


if __name__ == "__main__":
    sys.exit(main())
