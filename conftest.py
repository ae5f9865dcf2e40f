"""Root conftest: every test suite of the workspace shares the devstack fixtures, and the e2e
tests one chromium per test process (the `browser` fixture)."""

pytest_plugins = ["shutterbook_devstack.testing", "tests.browser_support"]
