"""Django admin of the CRM."""
