"""Ask the evaluation questions as one user and report retrieval recall@5 and answer-citation
accuracy (the answer's first citation is the expected source).

    python manage.py assistant_eval [--as admin@example.com] [--json out.json]
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from domus.accounts.selectors import user_by_email_any
from domus.assistant.evaluation.corpus import QUESTIONS
from domus.assistant.services.assist import finish, generate, prepare


def evaluate(*, actor, k: int = 5) -> dict:
    rows = []
    started = time.perf_counter()
    for question, expected in QUESTIONS:
        prepared = prepare(actor=actor, question=question)  # the top ASSISTANT_TOP_K passages
        titles = [p.title for p in prepared.passages[:k]]
        answer = finish(prepared, "".join(generate(prepared)))
        cited = [c["title"] for c in answer.citations]
        rows.append(
            {
                "question": question,
                "expected": expected,
                "rank": titles.index(expected) + 1 if expected in titles else None,
                "cited": cited,
                "citation_correct": bool(cited) and cited[0] == expected,
                "grounded": answer.grounded,
            }
        )
    seconds = time.perf_counter() - started
    total = len(rows)
    found = [r for r in rows if r["rank"] is not None]
    return {
        "questions": total,
        "k": k,
        "recall_at_k": round(len(found) / total, 3),
        "recall_at_1": round(sum(1 for r in found if r["rank"] == 1) / total, 3),
        "mrr": round(sum(1 / r["rank"] for r in found) / total, 3),
        "citation_accuracy": round(sum(r["citation_correct"] for r in rows) / total, 3),
        "grounded_rate": round(sum(r["grounded"] for r in rows) / total, 3),
        "seconds": round(seconds, 2),
        "rows": rows,
    }


class Command(BaseCommand):
    help = "Report the assistant's retrieval recall@5 and citation accuracy on the evaluation set."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as", dest="email", default="admin@example.com")
        parser.add_argument("--json", default=None, help="Write the full report here.")

    def handle(self, *args, **options) -> None:
        actor = user_by_email_any(options["email"])
        if actor is None:
            raise CommandError(f"No user {options['email']}.")
        report = evaluate(actor=actor)
        if options["json"]:
            with open(options["json"], "w") as handle:
                json.dump(report, handle, indent=2)
        self.stdout.write(
            f"{report['questions']} questions: recall@{report['k']} {report['recall_at_k']:.3f}, "
            f"recall@1 {report['recall_at_1']:.3f}, MRR {report['mrr']:.3f}, "
            f"citation accuracy {report['citation_accuracy']:.3f}, grounded {report['grounded_rate']:.3f} "
            f"({report['seconds']} s)"
        )
        for row in report["rows"]:
            if row["rank"] != 1 or not row["citation_correct"]:
                self.stdout.write(f"  rank {row['rank']}, cited {row['cited'][:1]}: {row['question']}")
