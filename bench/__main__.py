"""`make bench`: run every `bench/bench_*.py` (each has an async `main()`), or those named."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        asyncio.run(module.main())


if __name__ == "__main__":
    main()
