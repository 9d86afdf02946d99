"""Writes of the inventory: the catalog (``catalog``), stock entries and postings
(``stock``), reservations for maintenance jobs (``reservations``), settings and serials
(``settings``)."""
