import threading

import pytest
from django.conf import settings

from domus.core.throttling import hit, parse_rate, security_cache


def test_parse_rate():
    assert parse_rate("5/m") == (5, 60)
    assert parse_rate("1000/hour") == (1000, 3600)


@pytest.mark.django_db
def test_every_limited_response_carries_the_headers(user_client, rate_limits):
    rate_limits(read="3/d")  # a day-long window: no boundary mid-test
    remaining = []
    for _ in range(3):
        response = user_client.get("/api/v1/accounts/me/")
        assert response["X-RateLimit-Limit"] == "3"
        assert int(response["X-RateLimit-Reset"]) > 0
        remaining.append(int(response["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    limited = user_client.get("/api/v1/accounts/me/")
    assert limited.status_code == 429
    assert limited["X-RateLimit-Remaining"] == "0"


@pytest.mark.django_db
def test_budgets_are_per_user(client_for, user, admin_user, rate_limits):
    rate_limits(read="1/d")
    assert client_for(user).get("/api/v1/accounts/me/").status_code == 200
    assert client_for(user).get("/api/v1/accounts/me/").status_code == 429
    assert client_for(admin_user).get("/api/v1/accounts/me/").status_code == 200


@pytest.mark.django_db
def test_auth_scope_limits_anonymous_callers_by_address(api_client, rate_limits):
    rate_limits(auth="2/d")
    body = {"email": "nobody@example.test", "password": "x"}
    statuses = [api_client.post_json("/api/v1/accounts/auth/token/", body).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_concurrent_hits_never_exceed_the_limit():
    allowed = []

    def worker():
        for _ in range(10):
            allowed.append(hit("concurrency-test", limit=25, period=60)[1])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 25
    assert len(allowed) == 80


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis store is only configured in the Redis run")
def test_counters_live_in_redis_so_they_hold_across_processes():
    import redis

    hit("shared-scope", limit=5, period=60)
    hit("shared-scope", limit=5, period=60)
    other_process = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(other_process.keys("*rl:shared-scope*"))
    assert len(keys) == 1
    assert int(other_process.get(keys[0])) == 2
    assert 0 < other_process.ttl(keys[0]) <= 61  # the window's counter expires with it
    assert security_cache.get(keys[0].decode().split(":", 2)[2]) == 2


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis store is only configured in the Redis run")
def test_counting_goes_on_after_redis_forgets_the_script():
    import redis

    assert hit("flushed-scope", limit=5, period=60)[0].remaining == 4
    redis.Redis.from_url(settings.REDIS_URL).script_flush()  # as after a restart of Redis
    state, allowed = hit("flushed-scope", limit=5, period=60)
    assert (state.remaining, allowed) == (3, True)
