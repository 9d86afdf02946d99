"""The account pages the account e-mails link to (mounted at ``/account/``)."""

from django.urls import path

from domus.accounts import views

urlpatterns = [
    path("activate/", views.activate, name="account-activate"),
    path("reset-password/", views.reset_password, name="account-reset-password"),
    path("confirm-email/", views.confirm_email, name="account-confirm-email"),
    path("forgot-password/", views.forgot_password, name="account-forgot-password"),
]
