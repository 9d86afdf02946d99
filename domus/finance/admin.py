"""Django admin of finance."""
