"""Identifiers of the demo data that `make run` seeds in every service (embedded mode only)."""

DEMO_COMPANY_ID = "5f0c6a52-6a43-4d1e-9b8e-2f6d3c1a7e01"
DEMO_API_KEY_ID = "demo0000"
# Printed by `make run`; a fixed value so the README and the booking page can show it.
DEMO_API_KEY_SECRET = "demo-partner-secret-not-for-production"
DEMO_API_KEY = f"sbk_{DEMO_API_KEY_ID}_{DEMO_API_KEY_SECRET}"
