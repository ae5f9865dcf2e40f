"""Per-company generation counters for the per-process caches: a reader takes the company's
generation before it reads and keeps what it read only if the generation is unchanged after,
and a change bumps it, so nothing read before a change outlives the change's bump.

    generations = Generations()
    seen = generations.of(company_id)   # ... read ...
    if generations.of(company_id) == seen: keep(...)
    generations.bump(company_id)        # a change of the company: what was kept is stale
"""

from __future__ import annotations


class Generations:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def of(self, company_id: str) -> int:
        """How many times the company was bumped so far."""
        return self._counts.get(company_id, 0)

    def bump(self, company_id: str) -> None:
        self._counts[company_id] = self.of(company_id) + 1
