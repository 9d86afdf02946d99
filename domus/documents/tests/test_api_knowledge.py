"""Knowledge articles: written by staff, Markdown rendered without raw HTML, read by those
related to the company once published."""

from domus.documents.models import KnowledgeArticle

URL = "/api/v1/documents/knowledge/"


def test_staff_write_articles_whose_markdown_is_rendered_safely(client_for, staff, company):
    body = "# Rent\nPay by **M-Pesa**. <script>alert(1)</script> [x](javascript:alert(1))"
    response = client_for(staff).post_json(
        "/api/admin/knowledge/", {"title": "Rent", "body": body, "tags": ["rent"], "review_by": "2027-01-31"}
    )
    assert response.status_code == 201
    article = response.json()
    assert article["company_id"] == str(company.pk)
    assert "<strong>M-Pesa</strong>" in article["body_html"]
    assert "<script>" not in article["body_html"]
    assert 'href="javascript' not in article["body_html"]  # left as text, never a link
    assert article["review_by"] == "2027-01-31"


def test_the_crm_create_or_update_by_id(client_for, staff):
    client = client_for(staff)
    created = client.post_json("/api/admin/knowledge/", {"title": "Bins", "body": "Tuesdays."}).json()
    response = client.post_json("/api/admin/knowledge/", {"id": created["id"], "title": "Bins", "body": "Fridays."})
    assert response.status_code == 200
    assert KnowledgeArticle.objects.get().body == "Fridays."


def test_who_reads_articles(client_for, staff, tenant, lease, other_staff, stranger):
    client = client_for(staff)
    draft = client.post_json(URL, {"title": "Draft", "body": "Not yet."}).json()
    published = client.post_json(URL, {"title": "Pool", "body": "Closes at 9pm.", "is_published": True}).json()

    def visible(user):
        return {row["id"] for row in client_for(user).get(URL).json()["results"]}

    assert visible(staff) == {draft["id"], published["id"]}
    assert visible(tenant) == {published["id"]}  # a tenant of the company's lease
    assert visible(other_staff) == set()
    assert visible(stranger) == set()
    assert client_for(tenant).post_json(URL, {"title": "Mine", "body": "x"}).status_code == 400
    assert client_for(other_staff).patch_json(f"{URL}{published['id']}/", {"title": "Hijack"}).status_code == 404
    assert KnowledgeArticle.objects.get(pk=published["id"]).title == "Pool"
