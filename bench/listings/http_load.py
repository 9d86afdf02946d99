"""Load every listing scenario over HTTP against a Domus server on this machine, with
bench/load.py (bounded: 127.0.0.1/localhost only, at most 20 s per scenario; run in this
process, one event loop per scenario), and print one Markdown table.

    .venv/bin/python bench/listings/http_load.py --base http://127.0.0.1:8766 --detail-id <uuid>
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import load  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8766")
    parser.add_argument("--detail-id", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0, help="Unmeasured seconds of load per scenario first.")
    parser.add_argument("--json", help="Also write the rows as JSON to this file (bench/bench.py reads it).")
    args = parser.parse_args(argv)
    if urlsplit(args.base).hostname not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("--base must be a server on this machine")
    duration = min(args.duration, 20.0)
    print("| query | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for name, path in SCENARIOS.items():
        url = f"{args.base.rstrip('/')}/api/v1/{path.format(id=args.detail_id)}"
        options = ["--url", url, "--concurrency", str(args.concurrency), "--duration", str(duration)]
        result = asyncio.run(load.run(load.parse_args([*options, "--warmup", str(args.warmup)])))
        rows.append({"query": name, **result})
        print(
            f"| {name} | {result['rps']} | {result['p50_ms']} | {result['p95_ms']} | {result['p99_ms']} "
            f"| {result['errors']} |",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
