"""Root conftest: every test suite of the workspace shares the devstack fixtures."""

pytest_plugins = ["shutterbook_devstack.testing"]
