"""`Switchyard`: the client an application holds, in local mode (the ruleset downloaded and evaluated in
process, exactly as the service evaluates it) or remote mode (each answer from the API). Events — track,
measure, exposures — go through one bounded, batched queue. No public method raises into the host
application: a failure gives the caller's default with reason ERROR and an error code, and is logged."""

import atexit
import copy
import logging
import re
import threading
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, TypeVar, Union

from .events import EXPOSURE_EVENT_NAME, EventQueue, new_event
from .rules import Assignment, CompiledRuleset, EvaluationResult, default_unit, to_unit_id
from .rules.experiments import not_running
from .ruleset_poller import RulesetPoller
from .transport import Transport, TransportError

logger = logging.getLogger("switchyard")

T = TypeVar("T")
Context = Mapping[str, Any]

MODES = ("local", "remote")
#: Keys the API accepts (shared/rules/schema.ts resourceKeySchema): others cannot exist.
_RESOURCE_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: API limits (shared/evaluation/schema.ts, shared/assignments/schema.ts).
_MAX_FLAGS_PER_REQUEST = 1000
_MAX_EXPERIMENTS_PER_REQUEST = 100
_MAX_UNIT_ID = 256


def _is_kind(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _error(flag_key: Any, code: str, message: str, default: Any = None) -> EvaluationResult:
    return EvaluationResult(
        flag_key if isinstance(flag_key, str) else "", default, None, "ERROR", error_code=code, error_message=message
    )


def _with_default(result: EvaluationResult, default: Any) -> EvaluationResult:
    """With reason ERROR the caller's default is the value (SPEC §2.3, OpenFeature)."""
    if result.reason != "ERROR":
        return result
    return EvaluationResult(
        result.flag_key, default, None, "ERROR", result.rule_id, None, result.error_code, result.error_message
    )


def _close_at_exit(reference: "weakref.ReferenceType[Switchyard]") -> None:
    client = reference()
    if client is not None:
        client.close(timeout=2.0)


class Switchyard:
    """A Switchyard client; create one per process and share it between threads.

    `mode="local"` (server keys) downloads the ruleset and evaluates in process; `mode="remote"` asks
    `POST /api/v1/evaluate` and `/api/v1/assignments` for every answer.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = "http://127.0.0.1:3000",
        *,
        mode: str = "local",
        poll_interval: float = 30.0,
        ready_timeout: float = 5.0,
        timeout: float = 5.0,
        max_retries: int = 2,
        flush_interval: float = 5.0,
        max_batch: int = 100,
        max_queue: int = 10_000,
        send_events: bool = True,
        log_exposures: bool = True,
        ruleset: Optional[Mapping[str, Any]] = None,
        transport: Optional[Transport] = None,
    ) -> None:
        """
        :param api_key: a server key (local mode) or a client key (remote mode, client-side flags only).
        :param base_url: the API's URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`.
        :param mode: "local" or "remote".
        :param poll_interval: local mode: seconds between ruleset polls (an unchanged ruleset is a 304); 0
            downloads the ruleset once.
        :param ready_timeout: local mode: seconds the constructor waits for the first ruleset (0: do not wait).
        :param timeout: seconds per HTTP attempt.
        :param max_retries: retries of a failed request (network, 429, 5xx), with backoff and jitter.
        :param flush_interval: seconds between event batches.
        :param max_batch: events per request (at most 500).
        :param max_queue: events kept while the API cannot be reached; beyond it the oldest are dropped.
        :param send_events: False keeps every event in process (and drops them).
        :param log_exposures: local mode: send an exposure for each experiment assignment served.
        :param ruleset: local mode: a ruleset to serve until the first download (e.g. a bundled copy).
        :param transport: replaces the HTTP transport (tests).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self._transport = transport or Transport(base_url, api_key, timeout=timeout, max_retries=max_retries)
        self._log_exposures = log_exposures and mode == "local"
        self._exposed: "OrderedDict[tuple, None]" = OrderedDict()
        self._exposed_lock = threading.Lock()
        self._closed = False
        self._events = EventQueue(
            self._transport if send_events else None,
            flush_interval=flush_interval,
            max_batch=max_batch,
            max_queue=max_queue,
        )
        self._poller: Optional[RulesetPoller] = None
        if mode == "local":
            self._poller = RulesetPoller(self._transport, poll_interval, initial=ruleset)
            if ready_timeout > 0:
                self._poller.ready.wait(ready_timeout)
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- state ------------------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Local mode: a ruleset is loaded. Remote mode: always True."""
        return self._poller is None or self._poller.ready.is_set()

    def wait_until_ready(self, timeout: Optional[float] = None) -> bool:
        return self._poller is None or self._poller.ready.wait(timeout)

    @property
    def revision(self) -> Optional[int]:
        """Local mode: the revision being served (None before the first one)."""
        engine = self._engine()
        return None if engine is None else engine.revision

    @property
    def stats(self) -> Dict[str, Any]:
        """Event counters (queued, sent, dropped, refused, failed_batches), pending events and polls."""
        out: Dict[str, Any] = self._events.stats.as_dict()
        out["pending"] = len(self._events)
        if self._poller is not None:
            out.update(polls=self._poller.polls, notModified=self._poller.not_modified, revision=self.revision)
        return out

    def _engine(self) -> Optional[CompiledRuleset]:
        return None if self._poller is None else self._poller.engine

    # -- flags ------------------------------------------------------------------------------------------

    def evaluate(self, flag_key: str, context: Context, default: Any = None, kind: Optional[str] = None) -> EvaluationResult:
        """Resolution details for one flag: value, variation, reason (ruleId, experimentKey, errorCode).
        With reason ERROR the value is `default`. `kind` ("boolean", "string", "number", "json") makes a
        flag of another kind a TYPE_MISMATCH."""
        try:
            if self.mode == "local":
                result = self._evaluate_local(flag_key, context, kind)
            else:
                result = self._evaluate_remote([flag_key], context, kind)[0]
            return _with_default(result, default)
        except Exception as error:  # noqa: BLE001 — never into the host application
            logger.exception("switchyard: evaluating %s failed", flag_key)
            return _error(flag_key, "GENERAL", f"evaluation failed: {error}", default)

    def evaluate_all(self, context: Context, flag_keys: Optional[Sequence[str]] = None) -> List[EvaluationResult]:
        """Every flag (ruleset order) or the named ones (order given), for one context."""
        try:
            if self.mode == "local":
                engine = self._engine()
                if engine is None:
                    return [self._not_ready(k) for k in flag_keys or []]
                results = engine.evaluate_all(context, flag_keys)
                for result in results:
                    self._expose_flag(engine, result, context)
                return results
            return self._evaluate_remote(flag_keys, context, None)
        except Exception as error:  # noqa: BLE001
            logger.exception("switchyard: evaluating flags failed")
            return [_error(k, "GENERAL", f"evaluation failed: {error}") for k in flag_keys or []]

    def boolean_value(self, flag_key: str, context: Context, default: bool) -> bool:
        return self.evaluate(flag_key, context, default, "boolean").value

    def string_value(self, flag_key: str, context: Context, default: str) -> str:
        return self.evaluate(flag_key, context, default, "string").value

    def number_value(self, flag_key: str, context: Context, default: float) -> float:
        return self.evaluate(flag_key, context, default, "number").value

    def json_value(self, flag_key: str, context: Context, default: Any) -> Any:
        """A copy: change it freely."""
        return copy.deepcopy(self.evaluate(flag_key, context, default, "json").value)

    def _not_ready(self, flag_key: Any) -> EvaluationResult:
        error = self._poller.last_error if self._poller is not None else None
        return _error(flag_key, "GENERAL", "no ruleset loaded yet" + (f" ({error})" if error else ""))

    def _evaluate_local(self, flag_key: str, context: Context, kind: Optional[str]) -> EvaluationResult:
        engine = self._engine()
        if engine is None:
            return self._not_ready(flag_key)
        result = engine.evaluate(flag_key, context, kind=kind)
        self._expose_flag(engine, result, context)
        return result

    def _evaluate_remote(
        self, flag_keys: Optional[Sequence[str]], context: Context, kind: Optional[str]
    ) -> List[EvaluationResult]:
        keys = None if flag_keys is None else list(flag_keys)
        # Keys the API would refuse cannot name a flag: answer them here, as the engine would.
        askable = None if keys is None else [k for k in keys if isinstance(k, str) and _RESOURCE_KEY.fullmatch(k)]
        answers: Dict[str, EvaluationResult] = {}
        results: List[EvaluationResult] = []
        if askable is None or askable:
            body_context = dict(context) if isinstance(context, Mapping) else {}
            chunks: List[Optional[List[str]]] = [None] if askable is None else [
                askable[i : i + _MAX_FLAGS_PER_REQUEST] for i in range(0, len(askable), _MAX_FLAGS_PER_REQUEST)
            ]
            for chunk in chunks:
                body: Dict[str, Any] = {"context": body_context}
                if chunk is not None:
                    body["flags"] = chunk
                try:
                    response = self._transport.request("POST", "/api/v1/evaluate", body)
                except TransportError as error:
                    return [_error(k, "GENERAL", str(error)) for k in keys or []]
                if response.status != 200:
                    return [_error(k, "GENERAL", response.error_message()) for k in keys or []]
                for item in (response.json() or {}).get("results", []):
                    result = EvaluationResult.from_dict(item)
                    answers[result.flag_key] = result
                    results.append(result)
        if keys is None:
            return results
        out = []
        for key in keys:
            found = answers.get(key) if isinstance(key, str) else None
            if found is None:
                result = _error(key, "FLAG_NOT_FOUND", "no such flag")
            elif kind is not None and found.reason != "ERROR" and not _is_kind(kind, found.value):
                result = _error(key, "TYPE_MISMATCH", f"value is not a {kind}")
            else:
                result = found
            out.append(result)
        return out

    # -- experiments ------------------------------------------------------------------------------------

    def assign(
        self,
        context: Optional[Context] = None,
        experiments: Optional[Sequence[str]] = None,
        unit_id: Optional[str] = None,
    ) -> List[Assignment]:
        """Every running experiment (or the named ones, in order) for one unit: variant, payload,
        in_experiment, reason. `unit_id` overrides each experiment's unit attribute. When the answer cannot
        be had, named experiments answer NOT_RUNNING (show the default experience) and the list is otherwise
        empty."""
        try:
            if self.mode == "local":
                engine = self._engine()
                if engine is None:
                    return [not_running(k) for k in experiments or []]
                assignments = engine.assign(context, experiments, unit_id)
                for assignment in assignments:
                    if assignment.in_experiment:
                        experiment = engine.experiment(assignment.experiment_key)
                        unit = to_unit_id(unit_id) if unit_id is not None else None
                        if unit is None and experiment is not None and isinstance(context, Mapping):
                            unit = experiment.unit_of(context)
                        self._expose(assignment.experiment_key, assignment.variant, unit)
                return assignments
            return self._assign_remote(context, experiments, unit_id)
        except Exception:  # noqa: BLE001
            logger.exception("switchyard: assignment failed")
            return [not_running(k) for k in experiments or []]

    def _assign_remote(
        self, context: Optional[Context], experiments: Optional[Sequence[str]], unit_id: Optional[str]
    ) -> List[Assignment]:
        keys = None if experiments is None else list(experiments)
        if keys is not None and not keys:
            return []
        if unit_id is not None and (not isinstance(unit_id, str) or not unit_id or len(unit_id) > _MAX_UNIT_ID):
            # No usable unit: the engine answers UNIT_MISSING for each running experiment.
            return [not_running(k) for k in keys or []]
        askable = None if keys is None else [k for k in keys if isinstance(k, str) and _RESOURCE_KEY.fullmatch(k)]
        answers: Dict[str, Assignment] = {}
        ordered: List[Assignment] = []
        chunks: List[Optional[List[str]]] = [None] if askable is None else [
            askable[i : i + _MAX_EXPERIMENTS_PER_REQUEST] for i in range(0, len(askable), _MAX_EXPERIMENTS_PER_REQUEST)
        ]
        for chunk in chunks:
            if chunk is not None and not chunk:
                continue
            body: Dict[str, Any] = {"context": dict(context) if isinstance(context, Mapping) else {}}
            if unit_id is not None:
                body["unitId"] = unit_id
            if chunk is not None:
                body["experiments"] = list(dict.fromkeys(chunk))
            try:
                response = self._transport.request("POST", "/api/v1/assignments", body)
            except TransportError as error:
                logger.warning("switchyard: assignments failed: %s", error)
                return [not_running(k) for k in keys or []]
            if response.status != 200:
                logger.warning("switchyard: assignments failed: %s", response.error_message())
                return [not_running(k) for k in keys or []]
            for item in (response.json() or {}).get("assignments", []):
                assignment = Assignment.from_dict(item)
                answers[assignment.experiment_key] = assignment
                ordered.append(assignment)
        if keys is None:
            return ordered
        return [answers.get(k) or not_running(k) for k in keys]

    # -- events -----------------------------------------------------------------------------------------

    def track(
        self,
        event_name: str,
        unit: Union[str, Context],
        value: Optional[float] = None,
        properties: Optional[Mapping[str, Any]] = None,
    ) -> bool:
        """Queues a `track` event (a metric's eventName) for a unit id, or a context's targetingKey/userId.
        False when there is no unit to attribute it to (nothing is queued)."""
        try:
            unit_id = self._unit_of(unit)
            if unit_id is None:
                logger.warning("switchyard: track %s: no unit id (targetingKey or userId)", event_name)
                return False
            self._events.add(
                new_event(
                    "track",
                    event_name,
                    unit_id,
                    value=value,
                    properties=None if properties is None else dict(properties),
                )
            )
            return True
        except Exception:  # noqa: BLE001
            logger.exception("switchyard: track %s failed", event_name)
            return False

    def measure(self, flag_key: str, context: Context, fn: Callable[[EvaluationResult], T], default: Any = None) -> T:
        """Runs `fn(details)` — `details` being this flag's evaluation for the context — and records what the
        safety monitor reads (SPEC §2.7): one `latency` event (ms) and, if `fn` raised, one `error` event, both
        with flagKey and variation. `fn`'s result is returned and its exception re-raised."""
        with self.measured(flag_key, context, default) as details:
            return fn(details)

    @contextmanager
    def measured(self, flag_key: str, context: Context, default: Any = None) -> Iterator[EvaluationResult]:
        """`measure` as a context manager: `with client.measured("checkout-v2", ctx) as details: …`."""
        details = self.evaluate(flag_key, context, default)
        started = time.perf_counter()
        failed = False
        try:
            yield details
        except Exception:
            failed = True
            raise
        finally:
            self._record_measurement(flag_key, context, details, (time.perf_counter() - started) * 1000, failed)

    def _record_measurement(
        self, flag_key: str, context: Context, details: EvaluationResult, elapsed_ms: float, failed: bool
    ) -> None:
        try:
            unit_id = self._unit_of(context)
            if unit_id is None:
                logger.debug("switchyard: measure %s: no unit id, nothing recorded", flag_key)
                return
            fields = {"flagKey": flag_key, "variation": details.variation}
            self._events.add(new_event("latency", flag_key, unit_id, value=round(elapsed_ms, 3), **fields))
            if failed:
                self._events.add(new_event("error", flag_key, unit_id, **fields))
        except Exception:  # noqa: BLE001
            logger.exception("switchyard: recording %s failed", flag_key)

    def _unit_of(self, unit: Any) -> Optional[str]:
        if isinstance(unit, Mapping):
            found = default_unit(unit)
        else:
            found = to_unit_id(unit)
        return found if found is not None and len(found) <= _MAX_UNIT_ID else None

    def _expose_flag(self, engine: CompiledRuleset, result: EvaluationResult, context: Any) -> None:
        if result.experiment_key is None or not self._log_exposures or not isinstance(context, Mapping):
            return
        experiment = engine.experiment(result.experiment_key)
        if experiment is not None:
            self._expose(result.experiment_key, result.variation, experiment.unit_of(context))

    def _expose(self, experiment_key: str, variant: Optional[str], unit: Optional[str]) -> None:
        """One exposure per unit, experiment and variant while it stays in the recent set (10 000 entries)."""
        if not self._log_exposures or unit is None or variant is None or len(unit) > _MAX_UNIT_ID:
            return
        key = (experiment_key, variant, unit)
        with self._exposed_lock:
            if key in self._exposed:
                self._exposed.move_to_end(key)
                return
            self._exposed[key] = None
            if len(self._exposed) > 10_000:
                self._exposed.popitem(last=False)
        self._events.add(
            new_event("exposure", EXPOSURE_EVENT_NAME, unit, experimentKey=experiment_key, variant=variant)
        )

    # -- lifecycle --------------------------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends the queued events now; True when none is left."""
        try:
            return self._events.flush(timeout)
        except Exception:  # noqa: BLE001
            logger.exception("switchyard: flush failed")
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Stops polling and sends the queued events (within `timeout` seconds). Idempotent."""
        if self._closed:
            return len(self._events) == 0
        self._closed = True
        try:
            if self._poller is not None:
                self._poller.close(timeout)
            return self._events.close(timeout)
        except Exception:  # noqa: BLE001
            logger.exception("switchyard: close failed")
            return False

    def __enter__(self) -> "Switchyard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
