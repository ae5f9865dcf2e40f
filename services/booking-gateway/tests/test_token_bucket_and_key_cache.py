"""The rate limit's token buckets and the key cache, with the clock given."""

from __future__ import annotations

from shutterbook_gateway.application.api_keys import KeyCache, KeyRecord, check_key, sha256_hex
from shutterbook_gateway.domain.token_bucket import TokenBuckets


def test_a_bucket_grants_its_minute_then_refills_at_the_steady_rate() -> None:
    buckets = TokenBuckets(per_minute=6)  # one token every 10 s
    assert [buckets.take("k", 100.0) for _ in range(6)] == [0.0] * 6
    wait = buckets.take("k", 100.0)
    assert wait == 10.0  # refused, and told when the next token comes
    assert buckets.retry_after_seconds(wait) == 10
    assert buckets.take("other", 100.0) == 0.0  # identities do not share a budget
    assert buckets.take("k", 105.0) == 5.0  # half a token so far: still refused
    assert buckets.take("k", 110.0) == 0.0  # one token back
    assert buckets.take("k", 110.0) > 0
    # an idle minute refills the whole budget, never more
    assert [buckets.take("k", 1000.0) for _ in range(6)] == [0.0] * 6
    assert buckets.take("k", 1000.0) > 0


def test_a_flood_of_identities_keeps_the_table_bounded() -> None:
    buckets = TokenBuckets(per_minute=1, max_entries=100)
    for i in range(1_000):
        assert buckets.take(f"scan-{i}", 1.0) == 0.0
        assert len(buckets) <= 100
    assert buckets.take("scan-999", 1.0) > 0  # the newest are still counted


def _record(revoked: bool = False, kind: str = "secret") -> KeyRecord:
    return KeyRecord("kid", "company", kind, sha256_hex("s3cret"), (), (), revoked)


def test_the_key_cache_expires_entries_and_forgets_revoked_keys() -> None:
    now = [0.0]
    cache = KeyCache(ttl_seconds=30, max_entries=2, clock=lambda: now[0])
    cache.put(_record())
    assert cache.get("kid") == _record()
    now[0] = 29.9
    assert cache.get("kid") is not None
    now[0] = 30.0
    assert cache.get("kid") is None  # the TTL: a revocation whose event was missed
    cache.put(_record())
    cache.forget("kid")  # the revocation event
    assert cache.get("kid") is None
    for key_id in ("a", "b", "c"):
        cache.put(KeyRecord(key_id, "company", "secret", "", (), (), False))
    assert cache.get("a") is None  # at most max_entries: the oldest went
    assert cache.get("c") is not None
    assert KeyCache(ttl_seconds=0).get("kid") is None


def test_a_cached_record_checks_the_secret_the_kind_and_revocation() -> None:
    assert check_key(_record(), "sbk_kid_s3cret", "s3cret") is not None
    assert check_key(_record(), "sbk_kid_wrong", "wrong") is None
    assert check_key(_record(revoked=True), "sbk_kid_s3cret", "s3cret") is None
    assert check_key(_record(kind="publishable"), "sbk_kid_s3cret", "s3cret") is None
    assert check_key(None, "sbk_kid_s3cret", "s3cret") is None
