"""Reports (docs/reports.md): the comparative market analysis (``cma``), the operational
performance pack (``performance``), the property-management reports (``pm``) and the
streamed CSV exports (``exports``), each read through the owning app's scoped selectors;
rendered as JSON, CSV or PDF (``pdf``)."""
