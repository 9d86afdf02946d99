import pytest

from domus.crm.tests.factories import LeadFactory

QUALITY, SCORE, FUNNEL = "/api/v1/stats/lead-quality/", "/api/v1/stats/lead-score/", "/api/v1/stats/conversion-funnel/"


@pytest.fixture
def pipeline(company, other_company):
    LeadFactory(company=company, source="contact_form", score=90, status="won", stage_reached=5)
    LeadFactory(company=company, source="contact_form", score=30, status="lost", lost_reason="x", stage_reached=2)
    LeadFactory(company=company, source="campaign", score=50, status="qualified", stage_reached=2)
    LeadFactory(company=company, source="campaign", score=10, status="new", stage_reached=0)
    LeadFactory(company=other_company, source="campaign", score=99, status="won", stage_reached=5)


def test_lead_quality_by_source_is_scoped_to_the_company(client_for, staff, pipeline):
    body = client_for(staff).get(QUALITY, {"start_date": "2000-01-01", "end_date": "2100-01-01"}).json()

    by_source = {row["source"]: row for row in body["sources"]}
    assert body["total"] == 4
    assert by_source["contact_form"] == {
        "source": "contact_form",
        "count": 2,
        "average_score": 60.0,
        "won": 1,
        "conversion_rate": 0.5,
    }
    assert by_source["campaign"]["count"] == 2
    assert by_source["import"]["count"] == 0


def test_lead_quality_date_range_excludes_outside_leads(client_for, staff, pipeline):
    body = client_for(staff).get(QUALITY, {"end_date": "2000-01-01"}).json()

    assert body["total"] == 0


def test_lead_score_buckets(client_for, staff, pipeline):
    body = client_for(staff).get("/api/stats/lead-score").json()

    assert {b["label"]: b["count"] for b in body["buckets"]} == {
        "0-19": 1,
        "20-39": 1,
        "40-59": 1,
        "60-79": 0,
        "80-100": 1,
    }


def test_funnel_counts_each_stage_and_rates(client_for, staff, pipeline):
    body = client_for(staff).get(FUNNEL).json()

    assert [(s["stage"], s["count"]) for s in body["stages"]] == [
        ("new", 4),
        ("contacted", 3),
        ("qualified", 3),
        ("proposal", 1),
        ("negotiation", 1),
        ("won", 1),
    ]
    assert [s["conversion_rate"] for s in body["stages"]][:3] == [1.0, 0.75, 1.0]
    assert (body["lost"], body["overall_conversion_rate"]) == (1, 0.25)


@pytest.mark.parametrize("url", [QUALITY, SCORE, FUNNEL])
def test_stats_are_for_staff_only(client_for, agent, customer, url, api_client):
    assert client_for(agent).get(url).status_code == 403
    assert client_for(customer).get(url).status_code == 403
    assert api_client.get(url).status_code == 401


def test_admins_see_every_company(admin_client, pipeline):
    assert admin_client.get(SCORE).json()["total"] == 5
