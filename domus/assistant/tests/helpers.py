"""Documents and articles the assistant tests ask about."""

from domus.documents.tests.fixtures import pdf_bytes, upload

DOCS = "/api/v1/documents/"
ASSIST = "/api/v1/assistant/assist/"
# How long a WebSocket test waits for a frame before failing. Only an upper bound: a test
# goes on as soon as the frame arrives, so a loaded machine (the retrieval and the model
# run in the consumer's worker thread) slows the test down instead of failing it.
WS_WAIT = 120

HOUSE_RULES = (
    "Riverside Court house rules.",
    "Quiet hours run from 10pm to 7am every day. Residents must keep noise low during quiet hours.",
    "The rooftop swimming pool opens at 6am and closes at 9pm. Children under 12 swim with an adult.",
    "Refuse is collected on Tuesdays and Fridays from the bins behind block B.",
)
PET_POLICY = (
    "Pet policy of the lease.",
    "Tenants may keep one cat or one small dog with the written consent of the landlord.",
    "A pet deposit of KES 15,000 is held and refunded at the end of the tenancy if there is no damage.",
)


def upload_pdf(client, *paragraphs: str, name: str = "doc.pdf", **fields) -> dict:
    response = upload(client, pdf_bytes(*paragraphs), name=name, **fields)
    assert response.status_code == 201, response.json()
    return response.json()


def current_version_id(client, document_id: str) -> str:
    return client.get(f"{DOCS}{document_id}/versions/").json()["results"][0]["id"]
