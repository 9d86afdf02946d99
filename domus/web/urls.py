"""The web pages (mounted at the site's root; docs/web.md)."""

from django.urls import path

from domus.web.views import account, messages, owner, public, tenant

urlpatterns = [
    path("", public.home, name="web-home"),
    path("search/", public.search, name="web-search"),
    path("listings/<uuid:listing_id>/", public.listing_detail, name="web-listing"),
    path("listings/<uuid:listing_id>/favorite/", public.favorite_toggle, name="web-favorite"),
    path("listings/<uuid:listing_id>/viewing/", public.viewing_book, name="web-viewing-book"),
    path("listings/<uuid:listing_id>/offer/", public.offer_make, name="web-offer-make"),
    path("account/login/", account.login_page, name="web-login"),
    path("account/logout/", account.logout_page, name="web-logout"),
    path("account/signup/", account.signup, name="web-signup"),
    path("account/", account.account, name="web-account"),
    path("account/preferences/", account.preferences, name="web-preferences"),
    path("account/favorites/", account.favorites, name="web-favorites"),
    path("account/saved-searches/", account.saved_searches, name="web-saved-searches"),
    path(
        "account/saved-searches/<uuid:saved_search_id>/delete/",
        account.saved_search_remove,
        name="web-saved-search-delete",
    ),
    path("account/viewings/", account.viewings, name="web-viewings"),
    path("account/offers/", account.offers, name="web-offers"),
    path("messages/", messages.inbox, name="web-messages"),
    path("messages/manager/", messages.write_to_manager, name="web-write-to-manager"),
    path("messages/<uuid:conversation_id>/", messages.conversation, name="web-conversation"),
    path("tenant/leases/", tenant.leases, name="web-tenant-leases"),
    path("tenant/invoices/", tenant.invoices, name="web-invoices"),
    path("tenant/invoices/<uuid:invoice_id>/", tenant.invoice_detail, name="web-invoice"),
    path("tenant/invoices/<uuid:invoice_id>/pdf/", tenant.invoice_pdf, name="web-invoice-pdf"),
    path("tenant/invoices/<uuid:invoice_id>/pay/", tenant.invoice_pay, name="web-invoice-pay"),
    path("tenant/payments/<uuid:payment_id>/", tenant.payment, name="web-payment"),
    path("owner/", owner.overview, name="web-owner"),
    path("owner/statement/", owner.statement, name="web-owner-statement"),
    path("owner/payouts/", owner.payouts, name="web-owner-payouts"),
    path("owner/offers/", owner.offers, name="web-owner-offers"),
]
