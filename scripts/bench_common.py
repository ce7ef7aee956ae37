"""What the benchmark scripts share: timing a run with its SQL queries,
printing a figure, the tests' local SMTP server, send workers side by side,
and a send worker beside a cron that plans."""

import contextlib
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


@contextlib.contextmanager
def worker_env(args, barrier, warm_batch=0, worker=1):
    """The environment of a worker in its own process, as Odoo runs a cron
    worker with ``--workers`` and ``--max-cron-threads``: it loads the
    registry, sends a first batch of ``warm_batch`` messages when asked (a
    worker of a running server has sent before), then waits for the others."""
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        if warm_batch:
            env["followup.dispatch"]._cron_send_due(
                worker=worker, batch_size=warm_batch, max_batches=1, auto_commit=True
            )
            env.cr.commit()
        barrier.wait()
        yield env


def send_worker(args, worker, barrier, results, warm_batch=0):
    """One send worker in its own process: it sends until nothing is due."""
    with worker_env(args, barrier, warm_batch, worker) as env:
        queries = env.cr.sql_log_count
        sent = env["followup.dispatch"]._cron_send_due(worker=worker, auto_commit=True, max_batches=1000)
        results.put((sent, env.cr.sql_log_count - queries, time.time()))


def run_workers(args, count, warm_batch=0):
    """Seconds, queries and messages of ``count`` workers sending side by
    side; with ``warm_batch``, each first sends that many of the oldest due
    messages, before the clock starts."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count + 1), context.Queue()
    processes = [
        context.Process(target=send_worker, args=(args, n + 1, barrier, results, warm_batch))
        for n in range(count)
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


def send_beside(args, barrier, planned, results):
    """A send worker in its own process beside a cron that plans, as Odoo's
    second cron thread runs it: each batch the planning commits is sent as
    soon as it is there (Odoo's triggers wake the worker at once; here it
    looks again after 50 ms), until the planning is over and nothing is due."""
    with worker_env(args, barrier) as env:
        queries, sent = env.cr.sql_log_count, 0
        while True:
            last_look = planned.is_set()
            count = env["followup.dispatch"]._cron_send_due(worker=1, auto_commit=True, max_batches=1000)
            # a new transaction: the next look sees what the planning committed since
            env.cr.commit()
            sent += count
            if not count:
                if last_look:
                    break
                time.sleep(0.05)
        results.put((sent, env.cr.sql_log_count - queries, time.time()))


def run_beside(args, env, plan, workers=1):
    """Seconds, queries and messages of a cycle run as Odoo runs it with its
    two cron threads (``max_cron_threads``' default): ``plan()`` here,
    committing per batch, while a send worker sends beside it. With two
    send workers (*Settings > Send Workers*), the planning's thread takes
    the second one once the planning is over."""
    context = multiprocessing.get_context("spawn")
    barrier, planned, results = context.Barrier(2), context.Event(), context.Queue()
    process = context.Process(target=send_beside, args=(args, barrier, planned, results))
    process.start()
    env.flush_all()
    env.invalidate_all()
    barrier.wait()
    start, queries = time.time(), odoo.sql_db.sql_counter
    plan()
    env.flush_all()
    env.cr.commit()
    planned.set()
    sent = 0
    if workers > 1:
        sent = env["followup.dispatch"]._cron_send_due(worker=2, auto_commit=True, max_batches=1000)
        env.cr.commit()
    end = time.time()
    queries = odoo.sql_db.sql_counter - queries
    beside_sent, beside_queries, beside_end = results.get()
    process.join()
    return max(end, beside_end) - start, queries + beside_queries, sent + beside_sent
