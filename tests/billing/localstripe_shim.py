"""Run localstripe for the Stripe gateway tests: `python localstripe_shim.py PORT`.

localstripe's own `start()` does not fit a test run, so this wrapper:
- binds 127.0.0.1 only (localstripe binds `::`, every interface);
- never reads or writes its hard-coded /tmp/localstripe.pickle, so each run starts empty and
  parallel runs cannot clobber each other's store;
- adds `GET /v1/account` and `/v1/accounts`, which dj-stripe calls and localstripe lacks;
- replays POSTs by `Idempotency-Key` as Stripe documents (same key and body: the first response
  again; same key, other body: 400 idempotency_error). localstripe ignores the header, and
  without this the gateway's "ask twice, charge once" promise could not be tested at all.
"""

import sys
import time

from aiohttp import web
from localstripe.resources import Store
from localstripe.server import app

Store.dump_to_disk = lambda self: None

ACCOUNT = {
    "id": "acct_1LocalStripeFake00",
    "object": "account",
    "type": "standard",
    "country": "US",
    "default_currency": "usd",
    "email": "demo@example.com",
    "charges_enabled": True,
    "payouts_enabled": True,
    "details_submitted": True,
    "metadata": {},
    "created": int(time.time()),
    "capabilities": {},
    "business_profile": {"name": "Local Demo"},
    "settings": {
        "branding": {"icon": None, "logo": None},
        "dashboard": {"display_name": "Local Demo", "timezone": "Etc/UTC"},
    },
}

# Idempotency-Key -> (method, path, body, status, response body)
_replies: dict[str, tuple[str, str, bytes, int, bytes]] = {}


@web.middleware
async def idempotency(request: web.Request, handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    body = await request.read()
    if key in _replies:
        method, path, first_body, status, reply = _replies[key]
        if (method, path, first_body) != (request.method, request.path, body):
            error = {
                "type": "idempotency_error",
                "message": "Keys for idempotent requests can only be used with the same "
                "parameters they were first used with.",
            }
            return web.json_response({"error": error}, status=400)
        return web.Response(
            body=reply,
            status=status,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    response = await handler(request)
    # Stripe keeps the result once the endpoint ran (successes, card declines); not
    # validation failures, which may be retried with the same key.
    if response.status < 400 or response.status == 402:
        _replies[key] = (request.method, request.path, body, response.status, response.body)
    return response


async def account(request: web.Request) -> web.Response:
    return web.json_response(ACCOUNT)


async def accounts(request: web.Request) -> web.Response:
    return web.json_response(
        {"object": "list", "data": [ACCOUNT], "has_more": False, "url": "/v1/accounts"}
    )


def main() -> None:
    port = int(sys.argv[1])
    # Outermost, so it sees the final response after localstripe's error middleware.
    app.middlewares.insert(0, idempotency)
    app.router.add_get("/v1/account", account)
    app.router.add_get("/v1/accounts", accounts)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
