"""Django admin of sales."""
