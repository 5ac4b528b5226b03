"""Run batch work on a Dask distributed cluster; the one module that imports dask.

Workers get the work as values and send results back as values, so they need broadcaster
installed (the same version) but no shared folder: the machine that runs the command keeps
the incremental check and writes every file itself, atomically.
"""
from __future__ import annotations

import contextlib
import logging
import re
from typing import Any, Callable, Iterator

from broadcaster import __version__
from broadcaster.errors import CouldNotDo
from broadcaster.i18n import N_, _

INSTALL_HINT = N_("pip install 'broadcaster[cluster]' on this machine and on every worker")
ADDRESS_RE = re.compile(r"[a-z]+://[^/\s]+:\d+")  # used with fullmatch
WORKER_WAIT_S = 60  # a scheduler with no workers would otherwise wait forever


def check_address(address: str) -> str | None:
    """Why `address` cannot be a scheduler address, or None when it can."""
    if address == "local" or ADDRESS_RE.fullmatch(address):
        return None
    return _("'{address}' is not a scheduler address — give e.g. tcp://10.0.0.5:8786, or 'local'").format(
        address=address)


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Silence a logger and its children (dask gives some of them levels of their own)."""
    loggers = [logging.getLogger(name)] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)
                                           if n.startswith(name + ".")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _worker_version() -> str:
    import broadcaster  # on the worker, at call time: its own installed version, not the one pickled here

    return broadcaster.__version__


def _setup_help(address: str) -> str:
    return _("start the scheduler with `dask scheduler`, then on each machine "
             "`dask worker {address} --nthreads 1 --nworkers N`").format(address=address)


@contextlib.contextmanager
def connect(address: str, local_workers: int = 2) -> Iterator[Any]:
    """A Dask client for `address` (tcp://host:8786), or for a cluster on this machine ("local").

    CouldNotDo when dask is missing, the scheduler cannot be reached, no worker joins, or a
    worker runs another broadcaster.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CouldNotDo(_("--cluster needs Dask distributed: {install}").format(install=_(INSTALL_HINT))) from None
    with contextlib.ExitStack() as stack:
        # dask logs connection trouble as tracebacks on stderr; our one-line errors say it instead
        stack.enter_context(_quiet_logger("distributed"))
        if address == "local":
            # one thread per worker process: eSpeak NG is a process-wide library
            cluster = stack.enter_context(LocalCluster(n_workers=local_workers, threads_per_worker=1,
                                                       processes=True, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                # timeout: dask's own setting (distributed.comm.timeouts.connect, 30 s)
                client = stack.enter_context(Client(address))
            except (OSError, TimeoutError, ValueError) as exc:
                raise CouldNotDo(_("could not reach the Dask scheduler at {address} ({reason}) — {fix}")
                                 .format(address=address, reason=exc, fix=_setup_help(address))) from None
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except (OSError, TimeoutError) as exc:
                raise CouldNotDo(_("the Dask scheduler at {address} has no workers after {seconds} s ({reason}) "
                                   "— {fix}").format(address=address, seconds=WORKER_WAIT_S, reason=exc,
                                                     fix=_setup_help(address))) from None
        _check_workers(client)
        yield client


def _check_workers(client: Any) -> None:
    try:
        versions = client.run(_worker_version)
    except Exception as exc:  # a worker without broadcaster fails to unpickle the function
        raise CouldNotDo(_("a Dask worker cannot run broadcaster ({reason}) — {install}").format(
            reason=f"{type(exc).__name__}: {exc}", install=_(INSTALL_HINT))) from None
    other = {worker: v for worker, v in versions.items() if v != __version__}
    if other:
        worker, version = next(iter(other.items()))
        raise CouldNotDo(_("Dask worker {worker} has broadcaster {version}, this machine {here} — "
                           "install the same version everywhere").format(worker=worker, version=version,
                                                                         here=__version__))


def map_unordered(client: Any, fn: Callable, shared: Any, items: list[tuple]) -> Iterator[tuple[int, Any]]:
    """Run fn(shared, *item) for every item on the cluster; yield (index, result or exception) as each ends.

    `shared` is sent to the workers once, not once per item. An exception (a worker lost, a
    bug) belongs to its item and the others go on; losing the scheduler is CouldNotDo.
    """
    from distributed import as_completed

    shared_future = client.scatter(shared, broadcast=True)
    futures = {client.submit(fn, shared_future, *item, pure=False): i for i, item in enumerate(items)}
    for future in as_completed(futures):
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker or a bug: reported against its own item
            if client.status != "running":  # the scheduler is gone: every item still out is lost with it
                raise CouldNotDo(_("lost the Dask scheduler at {address} ({reason}) — what finished is written; "
                                   "run the same command again for the rest").format(
                    address=client.scheduler.address, reason=type(exc).__name__)) from None
            outcome = exc
        finally:
            future.release()
        yield futures[future], outcome
