"""The ledger's export streamed: N rows as CSV and as XLSX, and the peak memory of the process that
serves them, beside a same-run baseline (the same process answering the rates only).

A private database gets N facts with COPY (bench/rates.py's generator); a fresh Python process
builds reports' app and asks for each export as the city officer, reading the answer a chunk at a
time and throwing it away, and reports its peak RSS (ru_maxrss) for each. The database is dropped.

    .venv/bin/python bench/export.py --cases 100000 [--write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import record  # noqa: E402
from bench.rates import load  # noqa: E402
from harness.private import PrivateDatabases  # noqa: E402

# What the child process runs: one request, its peak RSS in MB and how long it took.
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from shared import auth, config
from shared.bootstrap import Runtime
from shared.db import make_engine
from services.reports.app import create_app
settings = config.load("reports", config.Settings).model_copy(update={{"database_url": {url!r}, "secret_key": "bench"}})
rt = Runtime(settings, make_engine(settings.database_url))
client = create_app(rt).test_client()
token = auth.issue("bench", auth.Staff("city-officer-1", "city_officer", "city"))
t = time.perf_counter()
answer = client.get({path!r}, headers={{"Authorization": "Bearer " + token}}, buffered=False)
size = sum(len(chunk) for chunk in answer.response)
took = time.perf_counter() - t
print(json.dumps({{"status": answer.status_code, "bytes": size, "seconds": took,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(url: str, path: str) -> dict:
    code = CHILD.format(root=str(ROOT), url=url, path=path)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    dbs = PrivateDatabases()
    try:
        url = dbs("export")
        load(url, args.cases).dispose()
        period = "start=2026-01-01&end=2026-12-31"
        figures = {
            "baseline (rates)": measure(url, f"/api/v1/reports/rates?{period}"),
            "ledger.csv": measure(url, f"/api/v1/reports/ledger.csv?{period}"),
            "ledger.xlsx": measure(url, f"/api/v1/reports/ledger.xlsx?{period}"),
        }
    finally:
        dbs.close()
    lines = [f"export of {args.cases:,} rows ({time.strftime('%Y-%m-%d')}):"]
    for name, m in figures.items():
        lines.append(
            f"  {name:18s} status {m['status']}  {m['bytes'] / 1e6:7.1f} MB sent in {m['seconds']:5.1f} s,"
            f" peak RSS {m['rss_mb']:6.1f} MB"
        )
    print("\n".join(lines))
    if args.write:
        record.append("export.py", lines)


if __name__ == "__main__":
    main()
