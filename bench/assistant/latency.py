"""Retrieval latency over the loaded passages, in-process, as the measured staff member
(who may read half of them): the whole hybrid retrieval (embedding the query with the local
model, resolving readable sources, the NumPy vector half, the full-text half, fusion), and
each step alone; wall time and the CPU time of this process (on a loaded machine the CPU
time is the steadier figure: on SQLite it includes the database's work, on PostgreSQL not).

    python bench/assistant/latency.py --requests 200 --warmup 10 --json out.json
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

from django.db import connection  # noqa: E402

from bench.pgcpu import backend_cpu, process_cpu  # noqa: E402
from domus.accounts.selectors import user_by_email_any  # noqa: E402
from domus.assistant import retrieval  # noqa: E402
from domus.assistant.selectors import passages_for_actor, readable_source_keys  # noqa: E402
from domus.core.startup import prepare_to_serve  # noqa: E402
from domus.integrations.embeddings import embedder  # noqa: E402


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(pick(0.95), 2),
        "p99_ms": round(pick(0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    actor = user_by_email_any("bench-staff-a@domus.invalid")
    rng = random.Random(3)
    queries = [" ".join(f"w{rng.randrange(2000):04d}" for _ in range(4)) for _ in range(args.requests + args.warmup)]
    model = embedder()
    started = time.perf_counter()
    model.embed(["warm up"])
    load_model_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    matrix = retrieval.matrix(model.model_id)
    load_matrix_ms = (time.perf_counter() - started) * 1000
    versions, articles = readable_source_keys(actor)
    vectors = model.embed(queries)
    prepare_to_serve()  # as a served worker: the loaded objects out of the collector's reach
    load_before = os.getloadavg()[0]
    names = {
        "hybrid": "hybrid retrieval (readable set + embedding + both halves + sources)",
        "readable": "readable set",
        "vector": "vector half",
        "keyword": "keyword half",
        "embedding": "query embedding",
    }
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    # The database server's CPU per step (PostgreSQL on this machine: its backend process's
    # /proc ticks, summed over the measured requests; SQLite works inside this process).
    backend = backend_cpu(connection)[0] if connection.vendor == "postgresql" else None
    server_cpu: dict[str, float] = dict.fromkeys(names, 0.0)
    for n, query in enumerate(queries):
        steps = {
            "hybrid": lambda query=query: passages_for_actor(actor=actor, query=query, k=5),
            "readable": lambda: readable_source_keys(actor),
            "vector": lambda n=n: retrieval.vector_ranking(
                query_vector=vectors[n], model_id=model.model_id, version_keys=versions, article_keys=articles
            ),
            "keyword": lambda query=query: retrieval.keyword_ranking(
                query=query, model_id=model.model_id, version_keys=versions, article_keys=articles
            ),
            "embedding": lambda query=query: model.embed([query]),
        }
        for name, step in steps.items():
            s0 = process_cpu(backend) if backend else None
            c0, t0 = time.process_time(), time.perf_counter()
            step()
            t1, c1 = time.perf_counter(), time.process_time()
            s1 = process_cpu(backend) if backend else None
            if n >= args.warmup:
                timings[name].append((t1 - t0) * 1000)
                cpu[name].append((c1 - c0) * 1000)
                if s0 is not None and s1 is not None:
                    server_cpu[name] += (s1 - s0) * 1000
    report = {
        "database": connection.vendor,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "hybrid_cpu_ms": percentiles(cpu["hybrid"]),
        "chunks": len(matrix.ids),
        "readable_versions": len(versions),
        "load_model_ms": round(load_model_ms, 1),
        "load_matrix_ms": round(load_matrix_ms, 1),
        "rows": [
            {
                "scenario": names[key],
                **percentiles(samples),
                "cpu_p50_ms": percentiles(cpu[key])["p50_ms"],
                "cpu_p95_ms": percentiles(cpu[key])["p95_ms"],
                "server_cpu_mean_ms": round(server_cpu[key] / len(samples), 2) if backend else None,
            }
            for key, samples in timings.items()
        ],
    }
    with open(args.json, "w") as handle:
        json.dump(report, handle, indent=2)
    print(report["database"], "load", report["load_average"], "hybrid CPU (this process)", report["hybrid_cpu_ms"])
    for row in report["rows"]:
        print(row)


if __name__ == "__main__":
    main()
