"""HTTP to the Switchyard API with the standard library (urllib): timeouts, retries with backoff and jitter,
Retry-After. Nothing here raises anything but `TransportError`."""

import email.utils
import json
import logging
import random
import socket
import time
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any, Callable, Dict, Mapping, Optional

from ._version import __version__

logger = logging.getLogger("switchyard")

#: Statuses worth another attempt: throttled, or the service (or a gateway in front of it) failing.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransportError(Exception):
    """A request that did not get a usable answer: network failure, timeout, or retries exhausted."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class HttpResponse:
    """A response: status, headers (case-insensitive `get`), raw body."""

    def __init__(self, status: int, headers: Any, body: bytes, redirected: bool = False) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        # True when the answer came from where a redirect pointed (a large ruleset's short-lived URL).
        self.redirected = redirected

    def header(self, name: str) -> Optional[str]:
        return None if self.headers is None else self.headers.get(name)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def error_message(self) -> str:
        """The API's `{code, message}` error body as one line, or the status."""
        try:
            body = self.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return f"{self.status} {body.get('code', '')}: {body['message']}".strip()
        return f"HTTP {self.status}"


def retry_after_seconds(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """`Retry-After` as seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Transport:
    """One API base URL and key. Thread-safe: urllib opens a connection per request."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = 5.0,
        max_retries: int = 2,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
        max_retry_after: float = 30.0,
        opener: Optional[urllib.request.OpenerDirector] = None,
        sleep: Callable[[float], Any] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self._opener = opener or urllib.request.build_opener()
        self._sleep = sleep
        self._jitter = jitter
        self.user_agent = f"switchyard-python/{__version__}"

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half the step fixed, half random, so retries spread but never bunch at 0."""
        step = min(self.backoff_max, self.backoff_base * (2**attempt))
        return step / 2 + self._jitter() * step / 2

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        max_retries: Optional[int] = None,
        deadline: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> HttpResponse:
        """Sends one request, retrying network errors, 429 and 5xx. Returns the last response otherwise
        (any status, 304 included); raises TransportError when there is none, or when retries ran out on a
        retryable status. `deadline` (time.monotonic()) bounds the whole call, waits included."""
        retries = self.max_retries if max_retries is None else max_retries
        try:
            data = None if body is None else json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise TransportError(f"{method} {path}: the body is not JSON ({error})") from error
        all_headers: Dict[str, str] = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            per_attempt = self.timeout if timeout is None else timeout
            if deadline is not None:
                per_attempt = min(per_attempt, deadline - time.monotonic())
                if per_attempt <= 0:
                    raise TransportError(f"{method} {path}: deadline passed")
            retry_after: Optional[float] = None
            try:
                response = self._send(method, url, data, all_headers, per_attempt)
                if response.status not in RETRYABLE_STATUSES:
                    return response
                failure = TransportError(f"{method} {path}: {response.error_message()}", response.status)
                retry_after = retry_after_seconds(response.header("Retry-After"))
            except TransportError as error:
                failure = error
            if attempt >= retries:
                raise failure
            delay = self.backoff(attempt)
            if retry_after is not None:
                if retry_after > self.max_retry_after:
                    raise failure
                delay = max(delay, retry_after)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise failure
            logger.debug("switchyard: %s; retrying in %.2f s", failure, delay)
            self._sleep(delay)
            attempt += 1

    def _send(self, method: str, url: str, data: Optional[bytes], headers: Dict[str, str], timeout: float) -> HttpResponse:
        # Credentials go to the API only: a redirect's target (a presigned S3 URL, which refuses a request that
        # carries both) gets none.
        credentials = {k: v for k, v in headers.items() if k.lower() == "authorization"}
        others = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        request = urllib.request.Request(url, data=data, headers=others, method=method)
        for name, value in credentials.items():
            request.add_unredirected_header(name, value)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return HttpResponse(response.status, response.headers, response.read(), response.geturl() != url)
        except urllib.error.HTTPError as error:
            # urllib raises for every status >= 300 (304 included): an answer all the same.
            try:
                body = error.read()
            except (OSError, HTTPException):
                body = b""
            finally:
                error.close()
            return HttpResponse(error.code, error.headers, body)
        except (urllib.error.URLError, socket.timeout, OSError, HTTPException, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(f"{method} {url}: {reason}") from error
