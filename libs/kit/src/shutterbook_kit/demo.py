"""Identifiers of the demo data that `make run` seeds in every service (embedded mode only)."""

DEMO_COMPANY_ID = "5f0c6a52-6a43-4d1e-9b8e-2f6d3c1a7e01"
DEMO_API_KEY_ID = "demo0000"
# Printed by `make run`; a fixed value so the README and the booking page can show it.
DEMO_API_KEY_SECRET = "demo-partner-secret-not-for-production"
DEMO_API_KEY = f"sbk_{DEMO_API_KEY_ID}_{DEMO_API_KEY_SECRET}"
# The demo booking page's publishable key (catalog and booking routes only; in the page's URL).
DEMO_PUBLISHABLE_KEY_ID = "demopage"
DEMO_PUBLISHABLE_KEY_SECRET = "demo-booking-page-not-for-production"
DEMO_PUBLISHABLE_KEY = f"pbk_{DEMO_PUBLISHABLE_KEY_ID}_{DEMO_PUBLISHABLE_KEY_SECRET}"

# Demo staff of the console, one per role, at both demo locations (`make run` prints them).
# (email, name, role); the photographer is linked to John Doe's Downtown schedule.
DEMO_STAFF = (
    ("owner@example.com", "Olivia Owens", "owner"),
    ("manager@example.com", "Marcus Manning", "manager"),
    ("frontdesk@example.com", "Priya Patel", "front_desk"),
    ("john@example.com", "John Doe", "photographer"),
)
DEMO_STAFF_PASSWORD = "shutterbook-demo"  # development only
