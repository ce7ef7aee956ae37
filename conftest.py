"""pytest-odoo runs Odoo with its log at CRITICAL: let warnings and errors
through, so that scripts/test.sh can fail on one that no test expected."""

import logging


def pytest_sessionstart(session):
    logging.getLogger("odoo").setLevel(logging.WARNING)
