"""Load ``--chunks`` synthetic passages for the retrieval benchmark: two companies with a
staff member each, documents of 20 passages each (half of them in the measured staff
member's company), every passage with a random unit vector of the model's dimension and
text drawn from a 2,000-word vocabulary (so the keyword half has real postings). The
vectors are not the model's (embedding 100k passages would take the benchmark half an
hour); search cost does not depend on what the vectors mean.

    python bench/assistant/generate.py --chunks 100000 [--replace]
"""

import argparse
import random
import sys
import time

import django

django.setup()

import numpy as np  # noqa: E402
from django.apps import apps  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from domus.core.ids import uuid7  # noqa: E402
from domus.integrations.embeddings import DIMENSION, MODEL_ID  # noqa: E402

PER_DOCUMENT = 20
STAFF_EMAILS = ("bench-staff-a@domus.invalid", "bench-staff-b@domus.invalid")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, required=True)
    parser.add_argument("--replace", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    Chunk = apps.get_model("assistant", "Chunk")
    if Chunk.objects.count() == args.chunks and not args.replace:
        print("already loaded")
        return
    started = time.perf_counter()
    rng = random.Random(args.seed)
    vectors_rng = np.random.default_rng(args.seed)
    User = apps.get_model("accounts", "User")
    Company = apps.get_model("organizations", "Company")
    Membership = apps.get_model("organizations", "Membership")
    Document = apps.get_model("documents", "Document")
    version_model = apps.get_model("documents", "DocumentVersion")
    IndexState = apps.get_model("assistant", "IndexState")
    words = [f"w{n:04d}" for n in range(2000)]
    with transaction.atomic():
        Chunk.objects.all().delete()
        version_model.objects.all().delete()
        Document.all_objects.all().delete() if hasattr(Document, "all_objects") else Document.objects.all().delete()
        companies = []
        for n, email in enumerate(STAFF_EMAILS):
            company, _ = Company.objects.get_or_create(
                slug=f"bench-docs-{n}", defaults={"name": f"Bench Documents {n}", "status": "active"}
            )
            user, _ = User.objects.get_or_create(email=email, defaults={"username": email, "role": "staff"})
            Membership.objects.get_or_create(user=user, company=company, defaults={"role": "staff"})
            companies.append(company)
        documents = args.chunks // PER_DOCUMENT
        rows, versions = [], []
        for d in range(documents):
            document = Document(
                pk=uuid7(), company=companies[d % 2], title=f"Bench document {d}", current_version_number=1
            )
            rows.append(document)
            versions.append(
                version_model(
                    pk=uuid7(),
                    document=document,
                    number=1,
                    file=f"bench/{d}.pdf",
                    filename=f"{d}.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="0" * 64,
                    extraction_status="done",
                )
            )
        Document.objects.bulk_create(rows, batch_size=2000)
        version_model.objects.bulk_create(versions, batch_size=2000)
        matrix = vectors_rng.standard_normal((documents * PER_DOCUMENT, DIMENSION)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        batch, fts = [], []
        for index in range(documents * PER_DOCUMENT):
            text = " ".join(rng.choices(words, k=120))
            chunk = Chunk(
                pk=uuid7(),
                kind="version",
                version=versions[index // PER_DOCUMENT],
                ordinal=index % PER_DOCUMENT,
                text=text,
                model_id=MODEL_ID,
                dimension=DIMENSION,
                vector=matrix[index].tobytes(),
            )
            batch.append(chunk)
            fts.append((chunk.pk.hex, text, chunk.version_id.hex, MODEL_ID))
            if len(batch) == 5000:
                Chunk.objects.bulk_create(batch)
                batch = []
        Chunk.objects.bulk_create(batch)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM assistant_chunk_fts")
                cursor.executemany(
                    "INSERT INTO assistant_chunk_fts (chunk_id, text, source, model_id) VALUES (%s, %s, %s, %s)", fts
                )
        IndexState.objects.update_or_create(pk=1, defaults={"generation": 1, "stamp": uuid7()})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assistant_chunk")
    print(f"{documents * PER_DOCUMENT:,} passages in {documents:,} documents, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
