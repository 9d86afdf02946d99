"""Retrieval and answers with the real local model (all-MiniLM-L6-v2, int8 ONNX)."""

from uuid import UUID, uuid4

import numpy as np
import pytest

from domus.accounts.tests.factories import UserFactory
from domus.assistant import retrieval, selectors
from domus.assistant.models import Chunk
from domus.assistant.tests.helpers import ASSIST, DOCS, HOUSE_RULES, PET_POLICY, current_version_id, upload_pdf
from domus.core.exceptions import ServiceUnavailable
from domus.documents.tests.fixtures import pdf_bytes, upload
from domus.integrations.embeddings import DIMENSION, MODEL_ID


def test_a_question_answered_only_by_an_uploaded_pdf_retrieves_it_first_and_cites_its_version(client_for, staff):
    client = client_for(staff)
    upload_pdf(client, *PET_POLICY, name="pets.pdf")
    rules = upload_pdf(client, *HOUSE_RULES, name="rules.pdf")
    version_id = current_version_id(client, rules["id"])

    response = client.post_json(ASSIST, {"question": "What time does the swimming pool close?"})

    assert response.status_code == 200
    body = response.json()
    assert body["citations"][0]["version_id"] == version_id
    assert body["citations"][0]["document_id"] == rules["id"]
    assert "9pm" in body["answer"]
    assert "[1]" in body["answer"]
    assert body["grounded"] is True
    assert body["model"] == "extractive"


def test_passages_store_their_model_and_dimension(client_for, staff):
    upload_pdf(client_for(staff), *HOUSE_RULES, name="rules.pdf")
    chunk = Chunk.objects.get()
    assert chunk.model_id == MODEL_ID
    assert chunk.dimension == DIMENSION
    assert len(bytes(chunk.vector)) == 4 * DIMENSION


def test_an_exact_invoice_number_is_found_by_the_keyword_half(client_for, staff):
    client = client_for(staff)
    for number in range(40, 46):
        upload_pdf(
            client,
            f"Invoice INV-2026-00{number} for plumbing repairs at Riverside Court.",
            f"Amount due KES {number * 1000}. Payable within 14 days.",
            name=f"inv{number}.pdf",
        )
    target = client.get(DOCS, {"search": "inv43"}).json()["results"][0]
    response = client.post_json("/api/v1/assistant/assist/preview/", {"question": "INV-2026-0043"})
    passages = response.json()["passages"]
    assert passages[0]["document_id"] == target["id"]


def test_a_new_version_replaces_the_passages_and_answers_cite_it(client_for, staff):
    client = client_for(staff)
    document = upload_pdf(client, "The gym opens at 5am.", name="gym.pdf")
    old_version = current_version_id(client, document["id"])
    upload(
        client, pdf_bytes("The gym now opens at 6am after the renovation."), path=f"{DOCS}{document['id']}/versions/"
    )
    new_version = current_version_id(client, document["id"])

    body = client.post_json(ASSIST, {"question": "When does the gym open?"}).json()

    assert {c["version_id"] for c in body["citations"]} == {new_version}
    assert not Chunk.objects.filter(version_id=old_version).exists()
    assert "6am" in body["answer"]


def test_a_question_nothing_answers_is_not_grounded_and_goes_to_review(client_for, staff):
    client = client_for(staff)
    upload_pdf(client, *HOUSE_RULES, name="rules.pdf")
    body = client.post_json(ASSIST, {"question": "What is the capital of Mongolia?"}).json()
    assert body["grounded"] is False
    assert body["escalation_offered"] is True
    assert body["review_id"] is not None


def test_deleting_a_document_takes_it_out_of_the_index(client_for, staff):
    client = client_for(staff)
    document = upload_pdf(client, *HOUSE_RULES, name="rules.pdf")
    assert client.delete(f"{DOCS}{document['id']}/").status_code == 204
    assert not Chunk.objects.exists()
    body = client.post_json(ASSIST, {"question": "What time does the swimming pool close?"}).json()
    assert body["citations"] == []


def test_knowledge_articles_are_indexed_when_published(client_for, staff):
    client = client_for(staff)
    article = {"title": "Paying rent by M-Pesa", "body": "Pay rent to paybill 400200, account number = your unit."}
    created = client.post_json("/api/v1/documents/knowledge/", article).json()
    assert not Chunk.objects.exists()
    client.patch_json(f"/api/v1/documents/knowledge/{created['id']}/", {"is_published": True})
    body = client.post_json(ASSIST, {"question": "Which paybill do I use to pay rent?"}).json()
    assert body["citations"][0]["article_id"] == created["id"]
    assert "400200" in body["answer"]


@pytest.mark.once
def test_the_vector_half_ranks_only_readable_rows_whether_it_slices_gathers_or_masks(monkeypatch):
    rng = np.random.default_rng(1)
    sources = [uuid4().hex for _ in range(400)]
    codes = {source: n for n, source in enumerate(sources)}
    row_sources = rng.integers(0, len(sources), size=4000)
    vectors = rng.standard_normal((4000, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [uuid4() for _ in range(4000)]
    built = retrieval.build_matrix(1, "m", ids, row_sources.astype(np.int64), codes, {}, vectors)
    monkeypatch.setattr(retrieval, "matrix", lambda model_id: built)
    query = vectors[7]
    owner = {chunk_id: sources[code] for chunk_id, code in zip(ids, row_sources, strict=True)}
    cases = {
        "a few scattered sources: a slice each": sources[::40],
        "a company's consecutive sources: one slice": sources[100:300],
        "every source: the whole matrix, one slice": sources,
        "two runs: two slices": sources[:50] + sources[350:],
        "most sources, scattered: masked": [s for n, s in enumerate(sources) if n % 3],
        "many scattered sources under a quarter: gathered": sources[::5],
    }
    for case, readable in cases.items():
        ranking = retrieval.vector_ranking(
            query_vector=query, model_id="m", version_keys=[*readable, uuid4().hex], article_keys=[], limit=20
        )
        allowed_rows = [i for i, code in enumerate(row_sources) if sources[code] in readable]
        expected = sorted(allowed_rows, key=lambda i: -float(vectors[i] @ query))[:20]
        assert [chunk_id for chunk_id, _ in ranking] == [ids[i] for i in expected], case
        assert {owner[chunk_id] for chunk_id, _ in ranking} <= set(readable), case
    assert retrieval.vector_ranking(query_vector=query, model_id="m", version_keys=[], article_keys=[]) == []


def test_the_keyword_half_returns_only_passages_of_the_readable_sources(client_for, staff):
    client = client_for(staff)
    for name in ("a", "b", "c"):
        upload_pdf(client, f"Boiler report {name}: the boiler in block {name} was serviced.", name=f"{name}.pdf")
    article = client.post_json(
        "/api/v1/documents/knowledge/", {"title": "Boilers", "body": "Report a cold boiler to the caretaker."}
    ).json()
    client.patch_json(f"/api/v1/documents/knowledge/{article['id']}/", {"is_published": True})
    chunks = list(Chunk.objects.values_list("id", "version_id", "article_id"))
    versions = sorted({v.hex for _, v, _ in chunks if v})
    assert len(versions) == 3
    article_key = UUID(article["id"]).hex

    def ranked(version_keys, article_keys):
        found = retrieval.keyword_ranking(
            query="boiler serviced", model_id=MODEL_ID, version_keys=version_keys, article_keys=article_keys
        )
        return {chunk_id for chunk_id, _ in found}

    def rows_of(version_keys, article_keys):
        return {
            chunk_id
            for chunk_id, version, article_id in chunks
            if (version and version.hex in version_keys) or (article_id and article_id.hex in article_keys)
        }

    for version_keys, article_keys in [
        (versions, [article_key]),
        (versions[:1], []),
        (versions[1:], []),
        ([], [article_key]),
        ([uuid4().hex], [uuid4().hex]),
    ]:
        assert ranked(version_keys, article_keys) == rows_of(version_keys, article_keys)
    assert ranked([], []) == set()


def test_a_failing_embedding_on_the_helper_thread_reaches_the_caller(client_for, staff):
    upload_pdf(client_for(staff), *HOUSE_RULES, name="rules.pdf")

    class Broken:
        model_id = "broken-model"  # not in the query-vector cache

        def embed(self, texts):
            raise ServiceUnavailable("The embedding model is unavailable.")

    with pytest.raises(ServiceUnavailable):
        selectors.passages_for_actor(actor=staff, query="When does the pool close?", model=Broken())
    outsider = UserFactory()
    assert selectors.passages_for_actor(actor=outsider, query="When does the pool close?", model=Broken()) == []
