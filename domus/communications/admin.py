"""Django admin of communications."""
