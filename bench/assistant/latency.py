"""Retrieval latency over the loaded passages, in-process, as the measured staff member
(who may read half of them): the whole hybrid retrieval (embedding the query with the local
model, resolving readable sources, the NumPy vector half, the full-text half, fusion), and
each half alone.

    python bench/assistant/latency.py --requests 200 --warmup 10 --json out.json
"""

import argparse
import json
import os
import random
import statistics
import time

import django

django.setup()

from django.db import connection  # noqa: E402

from domus.accounts.selectors import user_by_email_any  # noqa: E402
from domus.assistant import retrieval  # noqa: E402
from domus.assistant.selectors import passages_for_actor, readable_source_keys  # noqa: E402
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
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    timings: dict[str, list[float]] = {
        "hybrid retrieval (embed + both halves)": [],
        "vector half": [],
        "keyword half": [],
        "query embedding": [],
    }
    for n, query in enumerate(queries):
        measured = n >= args.warmup
        c0 = time.process_time()
        t0 = time.perf_counter()
        passages_for_actor(actor=actor, query=query, k=5)
        t1 = time.perf_counter()
        c1 = time.process_time()
        retrieval.vector_ranking(
            query_vector=vectors[n], model_id=model.model_id, version_keys=versions, article_keys=articles
        )
        t2 = time.perf_counter()
        retrieval.keyword_ranking(query=query, model_id=model.model_id, version_keys=versions, article_keys=articles)
        t3 = time.perf_counter()
        model.embed([query])
        t4 = time.perf_counter()
        if measured:
            cpu.append((c1 - c0) * 1000)
            timings["hybrid retrieval (embed + both halves)"].append((t1 - t0) * 1000)
            timings["vector half"].append((t2 - t1) * 1000)
            timings["keyword half"].append((t3 - t2) * 1000)
            timings["query embedding"].append((t4 - t3) * 1000)
    report = {
        "database": connection.vendor,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "hybrid_cpu_ms": percentiles(cpu),
        "chunks": len(matrix.ids),
        "readable_versions": len(versions),
        "load_model_ms": round(load_model_ms, 1),
        "load_matrix_ms": round(load_matrix_ms, 1),
        "rows": [{"scenario": name, **percentiles(samples)} for name, samples in timings.items()],
    }
    with open(args.json, "w") as handle:
        json.dump(report, handle, indent=2)
    print(report["database"], "load", report["load_average"], "hybrid CPU (this process)", report["hybrid_cpu_ms"])
    for row in report["rows"]:
        print(row)


if __name__ == "__main__":
    main()
