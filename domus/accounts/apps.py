from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "domus.accounts"
    label = "accounts"
    verbose_name = "Accounts"
