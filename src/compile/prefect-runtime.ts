import { GENERATED_HEADER } from './python.js'

/** Helpers the generated flows import: starting children concurrently, calling plain functions. */
export const RUNTIME_PY = `${GENERATED_HEADER}
"""Runtime helpers for the generated flows."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _after(fn: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]) -> Any:
    # Inputs are the futures of sibling steps: wait for them, then run this step.
    resolved = {name: await _resolve(value) for name, value in kwargs.items()}
    return await fn(**resolved)


def start(fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> asyncio.Future:
    """Starts a step now; it waits for its inputs (futures among kwargs) before it runs."""
    return asyncio.ensure_future(_after(fn, kwargs))


async def settle(*steps: asyncio.Future) -> None:
    """Waits until every step is done; then fails with the first failure, in the flow's order.

    A step whose input failed fails with the same exception without running, so a failure stops
    what depends on it while independent siblings run to the end.
    """
    outcomes = await asyncio.gather(*steps, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Calls an operation: awaited if async, else in a worker thread so siblings keep running."""
    if inspect.iscoroutinefunction(fn):
        return await fn(**kwargs)
    return await asyncio.to_thread(fn, **kwargs)
`

/**
 * Runs one compiled flow for \`pulpo prefect run\`: the request (flow, parameters) comes as JSON on
 * stdin, never on a command line; the outcome goes as one JSON object to file descriptor 3, so the
 * flow's own output on stdout and stderr stays the user's.
 */
export const RUNNER_PY = `${GENERATED_HEADER}
"""Runs a compiled flow for \`pulpo prefect run\`."""

from __future__ import annotations

import asyncio
import atexit
import importlib
import json
import os
import sys
import threading
import traceback


def _forget_script_dir() -> None:
    # Python puts this script's directory first on sys.path; the generated modules there must not
    # shadow the project's own packages.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def _report(outcome: dict) -> None:
    with os.fdopen(3, "w") as out:
        json.dump(outcome, out, default=str)


async def _run_deployment(request: dict):
    from prefect.deployments import run_deployment

    flow_run = await run_deployment(name=request["deployment"], parameters=request["params"], timeout=None)
    return flow_run.state


def _run_until_stopped(coroutine):
    """asyncio.run, except for a run stopped from outside (Ctrl-C, \`pulpo\` ending: an exception
    that is not an Exception): its tasks are cancelled, so Prefect's engine records the run as
    crashed, as asyncio.run does; but the loop's worker threads are not waited for: a task still
    running in one (a long sleep, a blocking call) would keep the process until it returns."""
    if not hasattr(asyncio, "Runner"):  # Python < 3.11
        return asyncio.run(coroutine)
    runner = asyncio.Runner()
    try:
        result = runner.run(coroutine)
    except Exception:
        runner.close()
        raise
    except BaseException:
        # Bounded: a server that does not answer the crash report must not keep the process.
        timer = threading.Timer(10, os._exit, args=(130,))
        timer.daemon = True
        timer.start()
        loop = runner.get_loop()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        raise
    runner.close()
    return result


def main() -> int:
    _forget_script_dir()
    request = json.load(sys.stdin)
    for path in reversed(request["sys_path"]):
        sys.path.insert(0, path)
    try:
        from prefect.states import State  # noqa: F401  (fails early when Prefect is missing)
    except ImportError as exc:
        _report({"state": "MISSING_PREFECT", "error": str(exc)})
        return 1
    if request.get("deployment"):
        # Through the server: a flow run of the deployment, executed by the project's runner.
        try:
            state = asyncio.run(_run_deployment(request))
        except Exception as exc:
            _report({"state": "DEPLOYMENT_FAILED", "error": f"{type(exc).__name__}: {exc}"})
            return 1
    else:
        try:
            module = importlib.import_module(request["module"])
            flow_fn = getattr(module, request["function"])
        except Exception as exc:  # the user's code may fail to import
            _report({"state": "IMPORT_FAILED", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
            return 1
        try:
            state = _run_until_stopped(flow_fn(**request["params"], return_state=True))
        except Exception as exc:  # e.g. parameters Prefect refused
            _report({"state": "FAILED", "error": f"{type(exc).__name__}: {exc}"})
            return 1
    outcome = {"state": state.type.value, "flow_run_id": str(state.state_details.flow_run_id), "message": state.message}
    if state.is_completed():
        try:
            outcome["result"] = state.result()
        except Exception:
            if not request.get("deployment"):
                raise
            # The runner that executed it (a container in a cluster) keeps its result in its own
            # storage: the state is the outcome.
            outcome["result"] = None
    else:
        try:
            state.result(raise_on_failure=True)
        except BaseException as exc:  # the operation's own exception
            outcome["error"] = f"{type(exc).__name__}: {exc}"
    _report(outcome)
    return 0 if state.is_completed() else 1


if __name__ == "__main__":
    try:
        code = main()
    except BaseException as exc:
        if isinstance(exc, (Exception, SystemExit)):
            raise
        # Stopped from outside: the process ends now; the task threads still running would keep it.
        # Its exit hooks run first (Prefect's temporary server is stopped by one), within a bound.
        timer = threading.Timer(10, os._exit, args=(130,))
        timer.daemon = True
        timer.start()
        try:
            atexit._run_exitfuncs()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
    sys.exit(code)
`

/**
 * The project's runner (a `kind: prefect-serve` service): registers every compiled flow as a
 * deployment of the project's Prefect server and executes their runs (Prefect's `serve`). It
 * prints a line once the deployments are registered, which is its readiness.
 */
export const SERVE_PY = `${GENERATED_HEADER}
"""Serves the compiled flows as deployments of the project's Prefect server."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import pathlib
import sys

from prefect import aserve

READY_LINE = "pulpo: deployments registered"


async def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    registry = json.loads((pathlib.Path(__file__).parent / "registry.json").read_text())
    deployments = []
    for entry in registry["flows"]:
        flow_fn = getattr(importlib.import_module(entry["module"]), entry["function"])
        deployments.append(await flow_fn.ato_deployment(name=entry["name"]))
    for deployment in deployments:
        await deployment.apply()
    print(f"{READY_LINE}: {', '.join(d.name for d in deployments)}", flush=True)
    if os.environ.get("PULPO_READY_FILE"):  # the container's healthcheck looks for it
        pathlib.Path(os.environ["PULPO_READY_FILE"]).write_text("ready\\n")
    await aserve(*deployments, print_starting_message=False)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
`

/** `pulpo prefect deploy`: registers deployments of the named flows (JSON on stdin) with the server. */
export const DEPLOY_PY = `${GENERATED_HEADER}
"""Registers deployments of compiled flows for \`pulpo prefect deploy\`."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys


async def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    request = json.load(sys.stdin)
    for path in reversed(request["sys_path"]):
        sys.path.insert(0, path)
    deployed = []
    for entry in request["flows"]:
        flow_fn = getattr(importlib.import_module(entry["module"]), entry["function"])
        deployment = await flow_fn.ato_deployment(name=entry["name"])
        deployment_id = await deployment.apply()
        deployed.append({"flow": entry["name"], "deployment": f"{entry['name']}/{entry['name']}", "id": str(deployment_id)})
    with os.fdopen(3, "w") as out:
        json.dump({"deployed": deployed}, out)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
`
