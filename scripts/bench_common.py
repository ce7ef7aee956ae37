"""What the benchmark scripts share: timing a run with its SQL queries,
printing a figure, and the tests' local SMTP server."""

import importlib
import sys
import time
from pathlib import Path

import odoo


def measure(env, run):
    """(seconds, queries) of ``run()``, flushed, then committed."""
    env.flush_all()
    env.invalidate_all()
    queries = odoo.sql_db.sql_counter
    start = time.perf_counter()
    run()
    env.flush_all()
    seconds = time.perf_counter() - start
    queries = odoo.sql_db.sql_counter - queries
    env.cr.commit()
    return seconds, queries


def report(name, value):
    print(f"{name}: {value}", flush=True)


def load_smtp_server():
    """The tests' local SMTP server, imported from its folder: importing the
    addon's tests package would load Odoo's test framework. Importable by
    name, its server process can be spawned."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "addons/customer_followup/tests"))
    return importlib.import_module("smtp_server")
