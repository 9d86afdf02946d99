"""Django admin of leasing."""
