"""Examples of the main operations in the OpenAPI schema, by operationId (merged into
the schema by ``domus.core.openapi.DomusAPI``). The schema tests check that every
operationId exists and that every request example passes the operation's validation."""

from typing import Any

from domus.core.openapi import examples

COMPANY = "0190a3c2-7b1e-7c41-9a55-3f1d2e4b5a60"
LISTING = "0190a3c2-8c2f-7d52-8b66-4a2e3f5c6b71"
USER = "0190a3c2-9d30-7e63-9c77-5b3f4a6d7c82"
INVOICE = "0190a3c2-ae41-7f74-ad88-6c4a5b7e8d93"
TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl"

API_EXAMPLES: dict[str, dict[str, Any]] = {
    "domus_accounts_api_login": examples(
        request={"email": "agent@example.com", "password": "password123"},
        response={
            "access": TOKEN,
            "refresh": TOKEN,
            "token_type": "Bearer",
            "access_expires_at": "2026-12-06T10:15:00Z",
            "refresh_expires_at": "2026-12-13T10:00:00Z",
            "user": {
                "id": USER,
                "email": "agent@example.com",
                "username": "agent",
                "first_name": "Amina",
                "last_name": "Otieno",
                "phone": "+254712345678",
                "role": "agent",
                "is_active": True,
                "date_joined": "2026-01-05T08:30:00Z",
                "last_login": "2026-12-06T10:00:00Z",
            },
        },
    ),
    "domus_properties_api_listing_create": examples(
        request={
            "title": "Two-bedroom apartment in Kilimani",
            "description": "Bright corner unit with a balcony, near Yaya Centre.",
            "property_type": "apartment",
            "listing_type": "rent",
            "status": "available",
            "price": "85000.00",
            "currency": "KES",
            "bedrooms": 2,
            "bathrooms": 2,
            "area_m2": "96.00",
            "address": "Argwings Kodhek Road",
            "city": "Nairobi",
            "country": "KE",
            "latitude": "-1.292100",
            "longitude": "36.786000",
            "is_published": True,
            "company_id": COMPANY,
        }
    ),
    "domus_crm_api_lead_create": examples(
        request={
            "company_id": COMPANY,
            "name": "Brian Mwangi",
            "email": "brian@example.com",
            "phone": "+254722000111",
            "message": "Looking for a two-bedroom to rent from January.",
            "source": "listing_inquiry",
            "listing_id": LISTING,
            "budget_min": "60000.00",
            "budget_max": "90000.00",
        }
    ),
    "domus_crm_api_contact": examples(
        request={
            "name": "Brian Mwangi",
            "email": "brian@example.com",
            "message": "Is the Kilimani apartment still available?",
            "listing_id": LISTING,
        }
    ),
    "domus_finance_api_invoice_create": examples(
        request={
            "company_id": COMPANY,
            "recipient_id": USER,
            "listing_id": LISTING,
            "currency": "KES",
            "due_date": "2027-01-05",
            "notes": "January rent",
            "lines": [
                {"kind": "rent", "description": "Rent, January 2027", "unit_price": "85000.00"},
                {"kind": "other", "description": "Service charge", "unit_price": "5000.00"},
            ],
        }
    ),
    "domus_finance_api_payment_manual": examples(
        request={
            "method": "bank_transfer",
            "amount": "90000.00",
            "reference": "EQ-TRX-0042",
            "invoice_id": INVOICE,
            "paid_at": "2027-01-03T09:12:00Z",
        }
    ),
    "domus_finance_api_payment_stk": examples(request={"phone": "+254712345678", "invoice_id": INVOICE}),
}
