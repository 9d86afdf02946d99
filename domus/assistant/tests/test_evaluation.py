"""The evaluation set runs end to end with the real model (corpus uploaded as PDFs)."""

from django.core.management import call_command

from domus.assistant.evaluation.corpus import ARTICLES, DOCUMENTS, QUESTIONS
from domus.assistant.management.commands.assistant_eval import evaluate


def test_the_evaluation_set_has_at_least_50_questions_over_its_sources():
    assert len(QUESTIONS) >= 50
    assert {title for _, title in QUESTIONS} == set(DOCUMENTS) | set(ARTICLES)


def test_seeding_and_evaluating(staff, company, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("assistant_seed_eval", "--as", staff.email, "--company", str(company.pk))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("assistant_seed_eval", "--as", staff.email, "--company", str(company.pk))
    assert "0 documents and 0 articles added" in capsys.readouterr().out
    report = evaluate(actor=staff)
    assert report["questions"] == len(QUESTIONS)
    assert report["recall_at_k"] >= 0.9
    assert report["citation_accuracy"] >= 0.75
