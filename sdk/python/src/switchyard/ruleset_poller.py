"""Local mode's ruleset: `GET /api/v1/sdk/ruleset` with If-None-Match (the ETag is the revision, 304 when
unchanged), polled by a background thread; each new revision is compiled off the request path and swapped in
whole, so an evaluation sees one revision or the next, never a mix. A revision that cannot be used (not a
ruleset, an unknown hash version) is logged and the previous one keeps serving."""

import logging
import random
import threading
from typing import Any, Callable, Optional, Tuple

from .rules import CompiledRuleset, RulesetError, compile_ruleset
from .transport import Transport, TransportError

logger = logging.getLogger("switchyard")

RULESET_PATH = "/api/v1/sdk/ruleset"


class RulesetPoller:
    def __init__(
        self,
        transport: Optional[Transport],
        poll_interval: float = 30.0,
        initial: Optional[Any] = None,
        on_change: Optional[Callable[[CompiledRuleset], None]] = None,
    ) -> None:
        self._transport = transport
        self.poll_interval = poll_interval
        self._on_change = on_change
        self._lock = threading.Lock()
        # (compiled ruleset, ETag): read without the lock (one attribute read), replaced whole under it.
        self._state: Tuple[Optional[CompiledRuleset], Optional[str]] = (None, None)
        self.ready = threading.Event()
        self._stopped = threading.Event()
        self.polls = 0
        self.not_modified = 0
        self.last_error: Optional[str] = None
        if initial is not None:
            self._install(compile_ruleset(initial), None)
        self._thread: Optional[threading.Thread] = None
        if transport is not None:
            self._thread = threading.Thread(target=self._run, name="switchyard-ruleset", daemon=True)
            self._thread.start()

    @property
    def engine(self) -> Optional[CompiledRuleset]:
        return self._state[0]

    @property
    def etag(self) -> Optional[str]:
        return self._state[1]

    def poll(self) -> bool:
        """One request; True when the answer was usable (a new revision or 304)."""
        if self._transport is None:
            return False
        engine, etag = self._state
        headers = {} if etag is None or engine is None else {"If-None-Match": etag}
        self.polls += 1
        try:
            response = self._transport.request("GET", RULESET_PATH, headers=headers)
        except TransportError as error:
            return self._failed(f"ruleset not fetched: {error}")
        if response.status == 304 and engine is not None:
            self.not_modified += 1
            self.last_error = None
            self.ready.set()
            return True
        if response.status != 200:
            hint = " (local evaluation needs a server key)" if response.status == 403 else ""
            return self._failed(f"ruleset refused: {response.error_message()}{hint}")
        try:
            compiled = compile_ruleset(response.json())
        except (RulesetError, ValueError) as error:
            return self._failed(f"ruleset not usable, keeping revision {engine and engine.revision}: {error}")
        # A ruleset too large for a response comes from a short-lived URL (after a 302) whose own ETag is not
        # the API's: the API's tag is the revision.
        etag = f'"{compiled.revision}"' if response.redirected else response.header("ETag")
        self._install(compiled, etag)
        self.last_error = None
        return True

    def _install(self, compiled: CompiledRuleset, etag: Optional[str]) -> None:
        with self._lock:
            previous = self._state[0]
            self._state = (compiled, etag)
        self.ready.set()
        if previous is None or previous.revision != compiled.revision:
            logger.info("switchyard: ruleset revision %s", compiled.revision)
            if self._on_change is not None:
                try:
                    self._on_change(compiled)
                except Exception:  # noqa: BLE001 — a listener must not stop the poller
                    logger.exception("switchyard: ruleset listener failed")

    def _failed(self, message: str) -> bool:
        if message != self.last_error:
            logger.warning("switchyard: %s", message)
        self.last_error = message
        return False

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.poll()
            except Exception:  # noqa: BLE001 — the thread must survive anything
                logger.exception("switchyard: ruleset poll failed")
            if self.poll_interval <= 0:
                return
            # ±10 % so that many processes started together do not poll in step.
            self._stopped.wait(self.poll_interval * (0.9 + 0.2 * random.random()))

    def close(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
