"""Event batching for `POST /api/v1/events` (SPEC §2.5): a bounded queue that drops the oldest event when full
(and counts it), a background thread that sends batches every `flush_interval` or as soon as `max_batch` are
waiting, retries (the transport's backoff for 429/5xx, and events the service answers NOT_STORED are queued
again with the same eventId, so the service counts each once), and a final flush on close."""

import json
import logging
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any, Deque, Dict, List, Optional

from .transport import Transport, TransportError

logger = logging.getLogger("switchyard")

#: The service's limits (shared/events/schema.ts).
MAX_EVENTS_PER_REQUEST = 500
MAX_EVENT_BYTES = 32 * 1024
MAX_REQUEST_BYTES = 1024 * 1024
EXPOSURE_EVENT_NAME = "$exposure"
#: Refusals worth sending again (shared/events/ingest.ts REFUSAL_CODES): the stream did not take the event.
RETRYABLE_REFUSALS = frozenset({"NOT_STORED"})


def now_iso() -> str:
    """The current instant as ISO-8601 with milliseconds and `Z` (what the events schema accepts)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(event_type: str, name: str, unit_id: str, **fields: Any) -> Dict[str, Any]:
    """An event with a fresh eventId and the current timestamp; fields whose value is None are left out."""
    event: Dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "type": event_type,
        "name": name,
        "unitId": unit_id,
        "timestamp": now_iso(),
    }
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


class EventStats:
    """Counters since the client started (read them, for logs or metrics)."""

    def __init__(self) -> None:
        self.queued = 0
        self.sent = 0
        #: Dropped because the queue was full (the oldest go first).
        self.dropped = 0
        #: Refused by the service for good (INVALID, DUPLICATE, OUT_OF_RANGE…) or too large to send.
        self.refused = 0
        #: Batches that failed (network, 429, 5xx) and were queued again.
        self.failed_batches = 0

    def as_dict(self) -> Dict[str, int]:
        return dict(vars(self))


class EventQueue:
    """Thread-safe; `add` never blocks on the network and never raises."""

    def __init__(
        self,
        transport: Optional[Transport],
        flush_interval: float = 5.0,
        max_batch: int = 100,
        max_queue: int = 10_000,
        request_timeout: Optional[float] = None,
    ) -> None:
        self._transport = transport
        self.flush_interval = flush_interval
        self.max_batch = max(1, min(max_batch, MAX_EVENTS_PER_REQUEST))
        self.max_queue = max(1, max_queue)
        self._request_timeout = request_timeout
        self._queue: Deque[Dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._failures = 0
        self.stats = EventStats()
        self._thread: Optional[threading.Thread] = None
        if transport is not None:
            self._thread = threading.Thread(target=self._run, name="switchyard-events", daemon=True)
            self._thread.start()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)

    def add(self, event: Dict[str, Any]) -> None:
        try:
            size = len(json.dumps(event, separators=(",", ":"), allow_nan=False).encode("utf-8"))
        except (TypeError, ValueError) as error:
            self.stats.refused += 1
            logger.warning("switchyard: event %s dropped: not JSON (%s)", event.get("name"), error)
            return
        if size > MAX_EVENT_BYTES:
            self.stats.refused += 1
            logger.warning("switchyard: event %s dropped: %d bytes (at most %d)", event.get("name"), size, MAX_EVENT_BYTES)
            return
        with self._lock:
            if len(self._queue) >= self.max_queue:
                self._queue.popleft()
                self.stats.dropped += 1
            self._queue.append(event)
            self.stats.queued += 1
            full = len(self._queue) >= self.max_batch
        if full:
            self._wake.set()

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends everything queued now, from the calling thread; True when the queue ended empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self) > 0:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if not self._send_batch(deadline):
                return False
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Stops the background thread and sends what is left within `timeout` seconds."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._transport is None:
            return len(self) == 0
        sent_all = self.flush(timeout)
        if not sent_all:
            logger.warning("switchyard: %d events not sent at close", len(self))
        return sent_all

    def _run(self) -> None:
        while not self._stopped.is_set():
            # After failures, wait longer before the next attempt (the transport already retried).
            wait = self.flush_interval if self._failures == 0 else min(60.0, self.flush_interval * 2**self._failures)
            self._wake.wait(wait)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                while len(self) > 0 and not self._stopped.is_set():
                    if not self._send_batch(None):
                        break
                    if len(self) < self.max_batch:
                        break  # the rest waits for the next interval
            except Exception:  # noqa: BLE001 — the thread must survive anything
                logger.exception("switchyard: event sender failed")

    def _take(self) -> List[Dict[str, Any]]:
        batch: List[Dict[str, Any]] = []
        total = 0
        with self._lock:
            while self._queue and len(batch) < self.max_batch:
                size = len(json.dumps(self._queue[0], separators=(",", ":")).encode("utf-8")) + 1
                if batch and total + size > MAX_REQUEST_BYTES - 64:
                    break
                batch.append(self._queue.popleft())
                total += size
        return batch

    def _requeue(self, events: List[Dict[str, Any]]) -> None:
        """Puts events back at the front (they are the oldest); beyond the bound the oldest are dropped."""
        with self._lock:
            self._queue.extendleft(reversed(events))
            while len(self._queue) > self.max_queue:
                self._queue.popleft()
                self.stats.dropped += 1

    def _send_batch(self, deadline: Optional[float]) -> bool:
        """Sends one batch; False when it failed and went back to the queue."""
        assert self._transport is not None
        with self._send_lock:
            batch = self._take()
            if not batch:
                return True
            try:
                response = self._transport.request(
                    "POST", "/api/v1/events", {"events": batch}, deadline=deadline, timeout=self._request_timeout
                )
            except TransportError as error:
                self._failures += 1
                self.stats.failed_batches += 1
                self._requeue(batch)
                logger.warning("switchyard: %d events not sent, kept for later: %s", len(batch), error)
                return False
            if response.status != 200:
                # 400, 401, 403, 413: sending the same batch again would get the same answer.
                self._failures = 0
                self.stats.refused += len(batch)
                logger.error("switchyard: %d events refused: %s", len(batch), response.error_message())
                return True
            if self._settle(batch, response.json()):
                self._failures = 0
                return True
            # Some events were not stored: they wait for the next attempt, after a backoff.
            self._failures += 1
            return False

    def _settle(self, batch: List[Dict[str, Any]], answer: Any) -> bool:
        """Counts what the service accepted and refused; False when some events were queued again."""
        refused = answer.get("refused", []) if isinstance(answer, dict) else []
        again: List[Dict[str, Any]] = []
        for refusal in refused:
            index = refusal.get("index") if isinstance(refusal, dict) else None
            if not isinstance(index, int) or not 0 <= index < len(batch):
                continue
            if refusal.get("code") in RETRYABLE_REFUSALS:
                again.append(batch[index])
            else:
                self.stats.refused += 1
                logger.warning(
                    "switchyard: event %s refused: %s %s",
                    batch[index].get("name"),
                    refusal.get("code"),
                    refusal.get("message", ""),
                )
        accepted = answer.get("accepted", []) if isinstance(answer, dict) else []
        self.stats.sent += len(accepted) if isinstance(accepted, list) else 0
        if again:
            self._requeue(again)
        return not again
