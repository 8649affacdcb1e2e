"""A labelled set for the heuristic provider: errors as Python, browser JavaScript and Node report
them (message and stack trace), each with the fix class an engineer would pick. Written from real
error texts, not from the rules: a few are classes the rules do not know or would get wrong (a file
PermissionError is no auth problem, a storage QuotaExceededError no rate limit, a ChunkLoadError
wants a reload), so the accuracy printed is an honest one.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labelled:
    platform: str  # python, javascript (browser) or node
    error_type: str
    message: str
    frame: str  # the newest in-app frame, rendered the platform's way below
    expected: str

    @property
    def language(self) -> str:
        return "python" if self.platform == "python" else "javascript"

    def stack_trace(self) -> str:
        if self.platform == "python":
            function, path, line = self.frame.split(":")
            return ("Traceback (most recent call last):\n"
                    '  File "/srv/app/shop/wsgi.py", line 12, in handle\n    return view(request)\n'
                    f'  File "/srv/app/{path}", line {line}, in {function}\n    result = do_it()\n'
                    f"{self.message}")
        function, path, line = self.frame.split(":")
        if self.platform == "node":
            return (f"{self.message}\n    at {function} (/srv/app/{path}:{line}:15)\n"
                    "    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)\n"
                    "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")
        return (f"{self.message}\n    at {function} (https://shop.test/static/js/{path}:{line}:21)\n"
                "    at HTMLButtonElement.onClick (https://shop.test/static/js/main.js:88:9)")


LABELLED = [
    # == Python ==
    Labelled("python", "runtime", "KeyError: 'user_id'", "checkout:shop/views.py:41", "key_check"),
    Labelled("python", "runtime", "AttributeError: 'NoneType' object has no attribute 'email'",
             "send_receipt:shop/mail.py:77", "null_check"),
    Labelled("python", "runtime", "TypeError: 'NoneType' object is not subscriptable", "totals:shop/cart.py:19",
             "null_check"),
    Labelled("python", "runtime", "NameError: name 'datetime' is not defined", "expires_at:shop/coupons.py:8",
             "missing_import"),
    Labelled("python", "runtime", "ModuleNotFoundError: No module named 'stripe'", "<module>:shop/payments.py:3",
             "missing_import"),
    Labelled("python", "runtime", "ImportError: cannot import name 'soft_unicode' from 'markupsafe'",
             "<module>:shop/templates.py:2", "missing_import"),
    Labelled("python", "network", "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.stripe.com', "
             "port=443): Read timed out. (read timeout=10)", "charge:shop/payments.py:55", "retry_with_backoff"),
    Labelled("python", "runtime", "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
             "load_rates:shop/shipping.py:31", "json_parse_guard"),
    Labelled("python", "database", 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint '
             '"users_email_key"', "register:shop/accounts.py:66", "database_review"),
    Labelled("python", "database", 'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server '
             'at "db" (10.0.0.5), port 5432 failed: timeout expired', "get_session:shop/db.py:14", "database_review"),
    Labelled("python", "api", "requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: "
             "https://api.openai.com/v1/chat/completions", "summarize:shop/ai.py:22", "rate_limit_backoff"),
    Labelled("python", "api", "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: "
             "https://api.partner.test/v2/orders", "sync_orders:shop/partner.py:48", "http_server_retry"),
    Labelled("python", "api", "requests.exceptions.HTTPError: 404 Client Error: Not Found for url: "
             "https://api.partner.test/v2/orders/42", "fetch_order:shop/partner.py:30", "http_client_request"),
    Labelled("python", "auth", "jwt.exceptions.ExpiredSignatureError: Signature has expired",
             "current_user:shop/auth.py:25", "auth_review"),
    Labelled("python", "runtime", "IndexError: list index out of range", "first_item:shop/cart.py:12", "key_check"),
    Labelled("python", "network", "ConnectionRefusedError: [Errno 111] Connection refused",
             "notify:shop/push.py:18", "retry_with_backoff"),
    Labelled("python", "database", 'django.db.utils.ProgrammingError: relation "shop_order" does not exist',
             "order_list:shop/views.py:90", "database_review"),
    Labelled("python", "runtime", "PermissionError: [Errno 13] Permission denied: '/var/app/uploads/report.csv'",
             "export:shop/reports.py:40", "manual_review"),
    Labelled("python", "runtime", "ZeroDivisionError: division by zero", "average:shop/stats.py:9", "manual_review"),
    Labelled("python", "network", "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. "
             "Connection refused.", "cached:shop/cache.py:21", "retry_with_backoff"),
    # == JavaScript in the browser ==
    Labelled("javascript", "javascript", "TypeError: Cannot read properties of undefined (reading 'map')",
             "renderItems:cart.3f9a1c.js:120", "null_check"),
    Labelled("javascript", "javascript", "TypeError: undefined is not an object (evaluating 'user.profile.name')",
             "Header:app.js:64", "null_check"),
    Labelled("javascript", "javascript", 'TypeError: can\'t access property "id", order is null',
             "OrderLink:orders.js:23", "null_check"),
    Labelled("javascript", "javascript", "ReferenceError: moment is not defined", "formatDate:dates.js:5",
             "missing_import"),
    Labelled("javascript", "javascript", "SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
             "loadCart:api.js:31", "json_parse_guard"),
    Labelled("javascript", "network", "TypeError: Failed to fetch", "fetchCart:api.js:28", "retry_with_backoff"),
    Labelled("javascript", "api", "AxiosError: Request failed with status code 401", "getProfile:api.js:52",
             "auth_review"),
    Labelled("javascript", "api", "AxiosError: Request failed with status code 422", "submitOrder:checkout.js:140",
             "http_client_request"),
    Labelled("javascript", "api", "Error: Request failed with status code 502", "getRates:shipping.js:17",
             "http_server_retry"),
    Labelled("javascript", "network", "AbortError: The operation was aborted.", "search:search.js:44",
             "retry_with_backoff"),
    Labelled("javascript", "javascript", "ChunkLoadError: Loading chunk 42 failed. "
             "(error: https://shop.test/static/js/42.3f9a1c.chunk.js)", "loadRoute:router.js:12",
             "retry_with_backoff"),
    Labelled("javascript", "javascript", "TypeError: Cannot destructure property 'data' of 'response' as it is "
             "undefined.", "useOrders:hooks.js:33", "null_check"),
    Labelled("javascript", "javascript", "Error: Minified React error #185; visit https://react.dev/errors/185 for "
             "the full message", "commitRoot:react-dom.js:2210", "manual_review"),
    Labelled("javascript", "network", "TypeError: NetworkError when attempting to fetch resource.",
             "loadWishlist:api.js:61", "retry_with_backoff"),
    Labelled("javascript", "javascript", "QuotaExceededError: Failed to execute 'setItem' on 'Storage': Setting the "
             "value of 'cart' exceeded the quota.", "saveCart:storage.js:8", "manual_review"),
    Labelled("javascript", "javascript", "Uncaught TypeError: Cannot set properties of null (setting 'innerHTML')",
             "showBanner:banner.js:14", "null_check"),
    # == Node ==
    Labelled("node", "runtime", "Error: Cannot find module 'express'", "Object.<anonymous>:server.js:1",
             "missing_import"),
    Labelled("node", "database", "Error: connect ECONNREFUSED 127.0.0.1:5432", "Pool.connect:db.js:20",
             "database_review"),
    Labelled("node", "network", "Error: getaddrinfo ENOTFOUND api.stripe.com", "createCharge:payments.js:33",
             "retry_with_backoff"),
    Labelled("node", "network", "Error: read ECONNRESET", "forward:proxy.js:58", "retry_with_backoff"),
    Labelled("node", "database", "SequelizeUniqueConstraintError: Validation error", "createUser:users.js:44",
             "database_review"),
    Labelled("node", "runtime", "TypeError: Cannot read properties of null (reading 'email')",
             "sendWelcome:mailer.js:12", "null_check"),
    Labelled("node", "auth", "JsonWebTokenError: invalid signature", "authenticate:auth.js:27", "auth_review"),
    Labelled("node", "network", "Error: ETIMEDOUT", "fetchRates:shipping.js:19", "retry_with_backoff"),
    Labelled("node", "runtime", "SyntaxError: Unexpected end of JSON input", "parseWebhook:webhooks.js:9",
             "json_parse_guard"),
    Labelled("node", "database", "PrismaClientKnownRequestError: Unique constraint failed on the fields: (`email`)",
             "signup:users.js:61", "database_review"),
    Labelled("node", "api", "Error: 429 Too Many Requests: rate limit exceeded for /v1/charges",
             "createRefund:payments.js:80", "rate_limit_backoff"),
    Labelled("node", "runtime", "ReferenceError: fetch is not defined", "pingPartner:partner.js:6", "missing_import"),
    Labelled("node", "runtime", "RangeError: Maximum call stack size exceeded", "walk:tree.js:18", "manual_review"),
    Labelled("node", "api", "Error: Request failed with status code 404", "getOrder:partner.js:30",
             "http_client_request"),
    Labelled("node", "database", "MongoServerError: E11000 duplicate key error collection: shop.users index: "
             "email_1 dup key: { email: \"x\" }", "createAccount:accounts.js:50", "database_review"),
    Labelled("node", "runtime", "TypeError: Cannot read properties of undefined (reading 'status')",
             "handleResponse:client.js:71", "null_check"),
]
