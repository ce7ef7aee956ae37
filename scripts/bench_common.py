"""What the benchmark scripts share: timing a run with its SQL queries,
printing a figure, the tests' local SMTP server, and send workers side by
side."""

import importlib
import multiprocessing
import sys
import time
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api


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


def send_worker(args, worker, barrier, results):
    """One send worker in its own process, as Odoo runs a cron worker with
    ``--workers`` and ``--max-cron-threads``: it loads the registry, waits
    for the others, then sends until nothing is due."""
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    barrier.wait()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        queries = cr.sql_log_count
        sent = env["followup.dispatch"]._cron_send_due(worker=worker, auto_commit=True, max_batches=1000)
        results.put((sent, cr.sql_log_count - queries, time.time()))


def run_workers(args, count):
    """Seconds, queries and messages of ``count`` workers sending side by side."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count + 1), context.Queue()
    processes = [
        context.Process(target=send_worker, args=(args, n + 1, barrier, results)) for n in range(count)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.time()
    outcomes = [results.get() for _process in processes]
    for process in processes:
        process.join()
    return (
        max(end for _sent, _queries, end in outcomes) - start,
        sum(queries for _sent, queries, _end in outcomes),
        sum(sent for sent, _queries, _end in outcomes),
    )
