"""`python -m bench`: run the benchmarks, print one table, write JSON to bench/results/.

python -m bench                      # everything, 3 runs of each figure
python -m bench --quick              # smaller counts (100 users only), for a quick look
python -m bench --only engine,memory # some parts: engine memory fullstack verifier startup
python -m bench --runs 5 --users 100,1000
python -m bench --only fullstack --delays 0,30,80 --bots ptb,bme --modes webhook --seconds 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import engine, fullstack, memory, startup, verifier
from bench.common import Row, machine, table

PARTS = {
    "engine": engine.run,
    "memory": memory.run,
    "fullstack": fullstack.run,
    "verifier": verifier.run,
    "startup": startup.run,
}
RESULTS = Path(__file__).resolve().parent / "results"


def _ints(text: str | None) -> tuple[int, ...] | None:
    return tuple(int(v) for v in text.split(",")) if text else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, 100 users only")
    parser.add_argument(
        "--only", action="append", default=[], help=f"comma-separated parts: {', '.join(PARTS)}"
    )
    parser.add_argument("--runs", type=int, default=3, help="repeats of each figure (>= 1)")
    parser.add_argument(
        "--users", help="full stack people: one count, or one per delay (e.g. 100,40,40)"
    )
    parser.add_argument("--delays", help="full stack Bot API delays in ms (default 0,30,80)")
    parser.add_argument(
        "--bots",
        help=f"full stack bots (default {','.join(fullstack.DEFAULT_BOTS)}; "
        f"all: {','.join(fullstack.BOTS)})",
    )
    parser.add_argument("--modes", help="full stack modes (default polling,webhook)")
    parser.add_argument("--seconds", type=float, help="full stack: bound on each run's load")
    parser.add_argument(
        "--profile", type=Path, help="full stack: py-spy each bot into PROFILE-<run>.txt"
    )
    parser.add_argument(
        "--send-rate",
        default="0",
        help="bme-bot's TELEGRAM_SEND_RATE in full stack runs ('default': the bot's own)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    wanted = [p.strip() for chunk in args.only for p in chunk.split(",") if p.strip()] or list(
        PARTS
    )
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    runs = max(1, args.runs)
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows: list[Row] = []
    timings: dict[str, float] = {}
    for part in wanted:
        print(f"running {part} ...", file=sys.stderr, flush=True)
        part_started = time.perf_counter()
        if part == "fullstack":
            got = fullstack.run(
                quick=args.quick,
                runs=runs,
                users=_ints(args.users),
                delays=_ints(args.delays),
                bots=args.bots.split(",") if args.bots else None,
                modes=args.modes.split(",") if args.modes else None,
                seconds=args.seconds,
                send_rate=args.send_rate,
                profile=args.profile,
            )
        else:
            got = PARTS[part](quick=args.quick, runs=runs)
        timings[part] = time.perf_counter() - part_started
        print(f"  {part} done in {timings[part]:.0f} s", file=sys.stderr, flush=True)
        rows.extend(got)
    total = time.perf_counter() - started
    info = machine()
    print()
    print(
        f"bme-bot benchmarks: {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}; "
        f"medians of {runs} run(s){' (quick)' if args.quick else ''}; {total:.0f} s in all"
    )
    print(table(rows, markdown=args.markdown))
    for row in rows:
        if "markdown" in row.extra:
            print("\n" + row.extra["markdown"])
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{stamp}.json"
        payload = {
            "started": stamp,
            "machine": info,
            "quick": args.quick,
            "runs": runs,
            "parts": wanted,
            "seconds": total,
            "part_seconds": timings,
            "rows": [asdict(r) for r in rows],
        }
        path.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
