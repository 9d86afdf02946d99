"""Load the evaluation corpus: its documents as PDFs (through the real upload, extraction
and indexing path) and its knowledge articles, published. Idempotent: what exists (by
title, tagged ``evaluation``) is kept.

    python manage.py assistant_seed_eval                      # as admin@example.com (seed_demo)
    python manage.py assistant_seed_eval --as staff@acme.test --company <uuid>
"""

import io
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from domus.accounts.selectors import user_by_email_any
from domus.assistant.evaluation.corpus import ARTICLES, DOCUMENTS
from domus.documents import selectors as documents
from domus.documents import services
from domus.organizations.selectors import default_company_id

TAG = "evaluation"


def corpus_pdf(title: str, paragraphs: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, title)
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        pdf.ln(2)
        pdf.multi_cell(0, 6, paragraph)
    return bytes(pdf.output())


def seed_corpus(*, actor, company_id: UUID | None) -> tuple[int, int]:
    """Upload what is missing; answer (documents created, articles created)."""
    existing = set(
        documents.document_visible_to(actor).filter(tags__icontains=f'"{TAG}"').values_list("title", flat=True)
    )
    made_documents = 0
    for title, paragraphs in DOCUMENTS.items():
        if title in existing:
            continue
        upload = io.BytesIO(corpus_pdf(title, paragraphs))
        with transaction.atomic():
            services.document_create(
                actor=actor,
                upload=upload,
                filename=f"{title}.pdf",
                title=title,
                category="policy",
                tags=[TAG],
                company_id=company_id,
            )
        made_documents += 1
    articles = set(
        documents.article_visible_to(actor).filter(tags__icontains=f'"{TAG}"').values_list("title", flat=True)
    )
    made_articles = 0
    for title, body in ARTICLES.items():
        if title in articles:
            continue
        with transaction.atomic():
            services.article_create(
                actor=actor, title=title, body=body, tags=[TAG], is_published=True, company_id=company_id
            )
        made_articles += 1
    return made_documents, made_articles


class Command(BaseCommand):
    help = "Load the assistant's evaluation corpus (documents as PDFs and knowledge articles)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as", dest="email", default="admin@example.com", help="The staff member or admin.")
        parser.add_argument("--company", default=None, help="The company's id (default: the user's one company).")

    def handle(self, *args, **options) -> None:
        actor = user_by_email_any(options["email"])
        if actor is None:
            raise CommandError(f"No user {options['email']} (run seed_demo first, or pass --as).")
        company_id = UUID(options["company"]) if options["company"] else default_company_id(actor)
        if company_id is None:
            raise CommandError("Pass --company: the user has no single company.")
        made = seed_corpus(actor=actor, company_id=company_id)
        self.stdout.write(f"Evaluation corpus: {made[0]} documents and {made[1]} articles added.")
