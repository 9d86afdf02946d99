"""Reindex throughput with the real local model: ``--documents`` documents whose text is
about 600 words each (three passages of the model's window), rebuilt by the reindex job.

    python bench/assistant/reindex.py --documents 100 --json out.json
"""

import argparse
import json
import random

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.db import transaction  # noqa: E402

from domus.assistant.evaluation.corpus import ARTICLES, DOCUMENTS  # noqa: E402
from domus.assistant.services.index import reindex_run  # noqa: E402
from domus.core.ids import uuid7  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, required=True)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    User = apps.get_model("accounts", "User")
    Company = apps.get_model("organizations", "Company")
    Document = apps.get_model("documents", "Document")
    version_model = apps.get_model("documents", "DocumentVersion")
    job_model = apps.get_model("assistant", "AssistantJob")
    sentences = [s for paragraphs in DOCUMENTS.values() for s in paragraphs] + list(ARTICLES.values())
    rng = random.Random(5)
    with transaction.atomic():
        apps.get_model("assistant", "Chunk").objects.all().delete()
        version_model.objects.all().delete()
        Document.objects.all().delete()
        company, _ = Company.objects.get_or_create(
            slug="bench-reindex", defaults={"name": "Bench Reindex", "status": "active"}
        )
        user, _ = User.objects.get_or_create(
            email="bench-admin@domus.invalid", defaults={"username": "bench-admin", "role": "admin"}
        )
        for d in range(args.documents):
            document = Document.objects.create(
                pk=uuid7(), company=company, title=f"Policy {d}", current_version_number=1
            )
            text = " ".join(rng.choices(sentences, k=30))
            version_model.objects.create(
                document=document,
                number=1,
                file=f"bench/{d}.pdf",
                filename=f"{d}.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                text=text,
                extraction_status="done",
            )
        job = job_model.objects.create(kind="reindex", user=user)
    job = reindex_run(job_id=job.pk)
    with open(args.json, "w") as handle:
        json.dump({"documents": args.documents, **job.result}, handle, indent=2)
    print(job.result)


if __name__ == "__main__":
    main()
