"""The command line every service shares: `serve`, `migrate`, `seed`.

`serve --migrate [--seed]` applies the migrations (and loads the demo data) in the serving
process before it serves: what `make run` uses, so each service starts one Python, not three.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from shutterbook_kit.event_loop import event_loop_factory
from shutterbook_kit.logs import configure_logging
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.settings import ServiceSettings
from shutterbook_kit.telemetry import configure_telemetry, shutdown_telemetry


def service_cli(
    *,
    service: str,
    serve: Callable[[ServiceSettings], Coroutine[Any, Any, None]],
    migrations: Path,
    seed: Callable[[ServiceSettings], Coroutine[Any, Any, None]] | None = None,
) -> Callable[[], None]:
    def main(argv: list[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"shutterbook-{service}")
        sub = parser.add_subparsers(dest="command", required=True)
        serve_cmd = sub.add_parser("serve", help="serve until SIGTERM/SIGINT, then shut down gracefully")
        serve_cmd.add_argument("--migrate", action="store_true", help="apply database migrations first")
        serve_cmd.add_argument("--seed", action="store_true", help="load demo data first (idempotent)")
        sub.add_parser("migrate", help="apply database migrations up to head")
        sub.add_parser("seed", help="load demo data (idempotent)")
        args = parser.parse_args(argv)
        settings = ServiceSettings.from_env(service)
        configure_logging(service, settings.log_level)
        if args.command == "migrate":
            upgrade(migrations, settings.database_url)
        elif args.command == "seed":
            if seed is None:
                print(f"{service}: no demo data", file=sys.stderr)
                return
            asyncio.run(seed(settings))
        else:
            if args.migrate:
                upgrade(migrations, settings.database_url)
            if args.seed and seed is not None:
                asyncio.run(seed(settings))
            configure_telemetry(service)
            try:
                with asyncio.Runner(loop_factory=event_loop_factory(settings.event_loop)) as runner:
                    runner.run(serve(settings))
            finally:
                shutdown_telemetry()

    return main
