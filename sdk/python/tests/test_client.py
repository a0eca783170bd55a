"""The client against a fake API on 127.0.0.1: local and remote modes, polling with ETags, faults (down, slow,
500, 429 with Retry-After), events (batches, bounded queue, NOT_STORED, close), measure, exposures — and that
nothing raises into the caller."""

import copy
import logging
import socket
import time
import unittest
from email.utils import formatdate

from fake_api import FakeApi, Fault
from support import json_equal, time_scale

from switchyard import Switchyard
from switchyard.rules import compile_ruleset
from switchyard.transport import Transport, retry_after_seconds

logging.getLogger("switchyard").setLevel(logging.CRITICAL)

RULESET = {
    "revision": 1,
    "hashVersion": 1,
    "segments": [],
    "flags": [
        {
            "key": "new-checkout",
            "kind": "boolean",
            "variations": [{"key": "on", "value": True}, {"key": "off", "value": False}],
            "enabled": True,
            "offVariation": "off",
            "rules": [
                {
                    "id": "staff",
                    "conditions": {"attribute": "email", "op": "ends_with", "values": ["@corp.example"]},
                    "serve": {"variation": "on"},
                }
            ],
            "fallthrough": {"allocations": [{"variation": "on", "weight": 5000}, {"variation": "off", "weight": 5000}]},
        },
        {
            "key": "pricing-page",
            "kind": "string",
            "variations": [{"key": "control", "value": "monthly"}, {"key": "annual", "value": "annual"}],
            "enabled": True,
            "offVariation": "control",
            "rules": [],
            "fallthrough": {"variation": "control"},
        },
        {
            "key": "banner",
            "kind": "json",
            "clientSide": True,
            "variations": [{"key": "a", "value": {"text": "hi"}}, {"key": "b", "value": {"text": "ho"}}],
            "enabled": True,
            "offVariation": "a",
            "rules": [],
            "fallthrough": {"variation": "b"},
        },
    ],
    "experiments": [
        {
            "key": "pricing-test",
            "variants": [
                {"key": "control", "weight": 5000, "isControl": True},
                {"key": "annual", "weight": 5000, "isControl": False, "payload": {"discount": 0.2}},
            ],
            "trafficAllocation": 10000,
            "unitAttribute": "userId",
            "flagKey": "pricing-page",
        }
    ],
    "layers": [],
}

CONTEXTS = [{"targetingKey": f"user-{i}", "email": f"u{i}@{'corp' if i % 5 == 0 else 'mail'}.example"} for i in range(40)]


def revision(number: int, **flag_changes) -> dict:
    ruleset = copy.deepcopy(RULESET)
    ruleset["revision"] = number
    ruleset["flags"][0].update(flag_changes)
    return ruleset


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SCALE = time_scale()


def wait_for(predicate, timeout: float = 5.0, step: float = 0.02) -> bool:
    """Polls `predicate` for `timeout` seconds on an idle machine (longer on a busy one)."""
    deadline = time.monotonic() + timeout * SCALE
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class ClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.api = FakeApi(copy.deepcopy(RULESET))
        self.clients = []

    def tearDown(self) -> None:
        for client in self.clients:
            client.close(timeout=1.0)
        self.api.close()

    def client(self, key: str = "sy_server", **options) -> Switchyard:
        options.setdefault("flush_interval", 60.0)
        options.setdefault("poll_interval", 60.0)
        client = Switchyard(key, self.api.url, **options)
        self.clients.append(client)
        return client


class LocalMode(ClientTest):
    def test_evaluates_as_the_engine_does(self) -> None:
        client = self.client()
        self.assertTrue(client.ready)
        self.assertEqual(client.revision, 1)
        engine = compile_ruleset(RULESET)
        for context in CONTEXTS:
            for flag in ("new-checkout", "pricing-page", "banner", "missing"):
                self.assertEqual(client.evaluate(flag, context), engine.evaluate(flag, context))
        self.assertIs(client.boolean_value("new-checkout", {"email": "a@corp.example"}, False), True)
        self.assertEqual(client.evaluate("new-checkout", {}).error_code, "TARGETING_KEY_MISSING")
        self.assertEqual(client.evaluate("new-checkout", {}, default="dflt").value, "dflt")
        self.assertEqual(client.string_value("new-checkout", {"targetingKey": "x"}, "d"), "d")  # TYPE_MISMATCH
        value = client.json_value("banner", {}, None)
        value["text"] = "changed"
        self.assertEqual(client.json_value("banner", {}, None), {"text": "ho"})

    def test_polls_with_if_none_match_and_sees_a_change_within_one_interval(self) -> None:
        client = self.client(poll_interval=0.2)
        self.assertTrue(wait_for(lambda: client.stats["notModified"] >= 2))
        calls = self.api.calls("/api/v1/sdk/ruleset")
        self.assertNotIn("If-None-Match", calls[0][2])
        self.assertTrue(all(c[2].get("If-None-Match") == '"1"' for c in calls[1:]))
        self.api.set_ruleset(revision(2, enabled=False))
        changed_at = time.monotonic()
        # One interval (with its ±10 % jitter), plus the time to answer and compile on this machine.
        self.assertTrue(wait_for(lambda: client.revision == 2, timeout=0.2 * 1.1 + 0.3))
        self.assertLess(time.monotonic() - changed_at, 0.2 * 1.1 + 0.3 * SCALE)
        self.assertEqual(client.evaluate("new-checkout", CONTEXTS[1]).reason, "DISABLED")

    def test_follows_a_large_rulesets_redirect_without_credentials_and_polls_with_the_apis_tag(self) -> None:
        self.api.redirect_ruleset = True
        client = self.client(poll_interval=0.2)
        self.assertTrue(client.ready)
        self.assertEqual(client.revision, 1)
        self.assertEqual(client.evaluate("new-checkout", CONTEXTS[1]), compile_ruleset(RULESET).evaluate("new-checkout", CONTEXTS[1]))
        stored = self.api.calls("/stored/1.json?sig=x")
        self.assertEqual(len(stored), 1)
        self.assertNotIn("Authorization", stored[0][2])
        # The stored copy's own ETag (an MD5) is not the API's: the next polls name the revision, and get 304.
        self.assertTrue(wait_for(lambda: client.stats["notModified"] >= 2))
        calls = self.api.calls("/api/v1/sdk/ruleset")
        self.assertTrue(all(c[2].get("If-None-Match") == '"1"' for c in calls[1:]))
        self.assertEqual(len(self.api.calls("/stored/1.json?sig=x")), 1)

    def test_threads_evaluating_while_revisions_swap_see_one_revision_or_the_other(self) -> None:
        import threading

        on, off = compile_ruleset(revision(10)), compile_ruleset(revision(11, enabled=False))
        client = self.client(poll_interval=0.01)
        errors = []

        def evaluate() -> None:
            try:
                for i in range(1500):
                    context = CONTEXTS[i % len(CONTEXTS)]
                    result = client.evaluate("new-checkout", context)
                    if result not in (on.evaluate("new-checkout", context), off.evaluate("new-checkout", context)):
                        errors.append(result)
            except Exception as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=evaluate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for n in range(10, 40):
            self.api.set_ruleset(revision(10 + n % 2, enabled=n % 2 == 0))
            time.sleep(0.01)
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertGreater(client.stats["polls"], 3)

    def test_keeps_serving_the_previous_revision_when_a_new_one_is_unusable(self) -> None:
        client = self.client(poll_interval=0.1)
        broken = revision(3)
        broken["hashVersion"] = 2
        self.api.set_ruleset(broken)
        self.assertTrue(wait_for(lambda: len(self.api.calls("/api/v1/sdk/ruleset")) >= 3))
        self.assertEqual(client.revision, 1)
        self.assertEqual(client.evaluate("new-checkout", CONTEXTS[0]).reason, "TARGETING_MATCH")
        self.api.fail("/api/v1/sdk/ruleset", *[Fault(status=500)] * 10)
        time.sleep(0.3)
        self.assertEqual(client.revision, 1)

    def test_a_client_key_gets_no_ruleset_and_defaults(self) -> None:
        client = self.client("sy_client", ready_timeout=1.0)
        self.assertFalse(client.ready)
        result = client.evaluate("new-checkout", CONTEXTS[0], default=False)
        self.assertEqual((result.value, result.reason, result.error_code), (False, "ERROR", "GENERAL"))
        self.assertIn("server key", result.error_message)

    def test_bootstrap_ruleset_serves_before_the_first_download(self) -> None:
        port = free_port()
        client = Switchyard("k", f"http://127.0.0.1:{port}", ruleset=RULESET, ready_timeout=0, send_events=False)
        self.clients.append(client)
        self.assertTrue(client.ready)
        self.assertEqual(client.evaluate("pricing-page", {"userId": "u"}).flag_key, "pricing-page")

    def test_logs_one_exposure_per_unit_for_a_flag_backed_by_an_experiment(self) -> None:
        client = self.client()
        served = [client.evaluate("pricing-page", {"userId": f"u{i}"}) for i in range(20)]
        client.evaluate("pricing-page", {"userId": "u0"})
        in_experiment = [r for r in served if r.experiment_key == "pricing-test"]
        self.assertEqual(len(in_experiment), 20)  # traffic 10 000: every unit is in
        assignments = client.assign({"userId": "u0"}, ["pricing-test", "nope"])
        self.assertEqual([a.reason for a in assignments], ["ASSIGNED", "NOT_RUNNING"])
        client.assign(unit_id="someone-else", experiments=["pricing-test"])
        self.assertTrue(client.flush(5))
        exposures = [e for e in self.api.events if e["type"] == "exposure"]
        self.assertEqual(len(exposures), 21)
        self.assertEqual({e["unitId"] for e in exposures}, {f"u{i}" for i in range(20)} | {"someone-else"})
        first = next(e for e in exposures if e["unitId"] == "u0")
        self.assertEqual(first["name"], "$exposure")
        self.assertEqual(first["experimentKey"], "pricing-test")
        self.assertEqual(first["variant"], served[0].variation)


class RemoteMode(ClientTest):
    def test_answers_as_the_api_does(self) -> None:
        client = self.client(mode="remote")
        engine = compile_ruleset(RULESET)
        for context in CONTEXTS[:10]:
            self.assertEqual(client.evaluate("new-checkout", context), engine.evaluate("new-checkout", context))
        self.assertEqual(client.evaluate("NOT A KEY", {}).error_code, "FLAG_NOT_FOUND")
        self.assertEqual(client.evaluate("unknown", {}).error_code, "FLAG_NOT_FOUND")
        self.assertEqual(client.string_value("new-checkout", CONTEXTS[0], "d"), "d")
        everything = client.evaluate_all(CONTEXTS[3])
        self.assertEqual([r.flag_key for r in everything], ["new-checkout", "pricing-page", "banner"])
        assignments = client.assign({"userId": "u1"}, ["pricing-test", "Bad Key", "nope"])
        self.assertEqual([a.reason for a in assignments], ["ASSIGNED", "NOT_RUNNING", "NOT_RUNNING"])
        self.assertTrue(json_equal(assignments[0].to_dict(), engine.assign({"userId": "u1"}, ["pricing-test"])[0].to_dict()))
        self.assertEqual(client.assign({"userId": "u1"}, []), [])

    def test_client_keys_see_client_side_flags_only(self) -> None:
        client = self.client("sy_client", mode="remote")
        self.assertEqual(client.evaluate("new-checkout", CONTEXTS[0]).error_code, "FLAG_NOT_FOUND")
        self.assertEqual(client.json_value("banner", {}, None), {"text": "ho"})

    def test_retries_a_500(self) -> None:
        client = self.client(mode="remote")
        self.api.fail("/api/v1/evaluate", Fault(status=500), Fault(status=503))
        result = client.evaluate("new-checkout", CONTEXTS[0])
        self.assertEqual(result.reason, "TARGETING_MATCH")
        self.assertEqual(len(self.api.calls("/api/v1/evaluate")), 3)

    def test_waits_as_long_as_retry_after_says(self) -> None:
        client = self.client(mode="remote")
        self.api.fail("/api/v1/evaluate", Fault(status=429, headers={"Retry-After": "1"}, body={"code": "RATE_LIMITED", "message": "slow down"}))
        result = client.evaluate("new-checkout", CONTEXTS[0])
        self.assertEqual(result.reason, "TARGETING_MATCH")
        first, second = self.api.calls("/api/v1/evaluate")
        self.assertGreaterEqual(second[4] - first[4], 0.95)

    def test_gives_defaults_when_retries_run_out(self) -> None:
        client = self.client(mode="remote", max_retries=1)
        self.api.fail("/api/v1/evaluate", *[Fault(status=500)] * 2)
        result = client.evaluate("new-checkout", CONTEXTS[0], default=True)
        self.assertEqual((result.value, result.reason, result.error_code), (True, "ERROR", "GENERAL"))
        self.assertIn("500", result.error_message)

    def test_gives_defaults_when_the_api_is_down_or_slow(self) -> None:
        down = Switchyard("k", f"http://127.0.0.1:{free_port()}", mode="remote", max_retries=1, send_events=False)
        self.clients.append(down)
        started = time.monotonic()
        result = down.evaluate("new-checkout", CONTEXTS[0], default="fallback")
        self.assertEqual((result.value, result.reason, result.error_code), ("fallback", "ERROR", "GENERAL"))
        self.assertEqual(down.assign({"userId": "u"}, ["pricing-test"])[0].reason, "NOT_RUNNING")
        self.assertLess(time.monotonic() - started, 3 * SCALE)

        slow = self.client(mode="remote", timeout=0.3, max_retries=0)
        self.api.fail("/api/v1/evaluate", Fault(delay=1.0))
        started = time.monotonic()
        self.assertFalse(slow.boolean_value("new-checkout", CONTEXTS[0], False))
        self.assertLess(time.monotonic() - started, 0.3 + 0.5 * SCALE)  # the 0.3 s timeout, not the 1 s delay

    def test_gives_defaults_when_the_connection_drops(self) -> None:
        client = self.client(mode="remote", max_retries=0)
        self.api.fail("/api/v1/evaluate", Fault(drop=True))
        self.assertEqual(client.evaluate("new-checkout", CONTEXTS[0]).error_code, "GENERAL")


class Events(ClientTest):
    def test_track_sends_a_batch_when_max_batch_events_wait(self) -> None:
        client = self.client(max_batch=3)
        client.track("purchase", {"targetingKey": "u1"}, value=12.5, properties={"sku": "a"})
        client.track("purchase", "u2")
        self.assertEqual(self.api.events, [])
        client.track("purchase", 3)
        self.assertTrue(wait_for(lambda: len(self.api.events) == 3))
        first = self.api.events[0]
        self.assertEqual((first["type"], first["name"], first["unitId"], first["value"]), ("track", "purchase", "u1", 12.5))
        self.assertEqual(first["properties"], {"sku": "a"})
        self.assertRegex(first["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual([e["unitId"] for e in self.api.events[1:]], ["u2", "3"])
        self.assertFalse(client.track("purchase", {"country": "FR"}))

    def test_sends_on_the_flush_interval(self) -> None:
        client = self.client(flush_interval=0.1)
        client.track("signup", "u1")
        self.assertTrue(wait_for(lambda: len(self.api.events) == 1, timeout=1.0))

    def test_a_full_queue_drops_the_oldest_and_counts_them(self) -> None:
        client = self.client(max_queue=5, max_batch=100)
        for i in range(8):
            client.track(f"e{i}", "u")
        self.assertEqual(client.stats["dropped"], 3)
        self.assertEqual(client.stats["pending"], 5)
        self.assertTrue(client.flush(5))
        self.assertEqual([e["name"] for e in self.api.events], ["e3", "e4", "e5", "e6", "e7"])

    def test_not_stored_events_go_again_with_the_same_id_and_count_once(self) -> None:
        client = self.client()
        for i in range(4):
            client.track("invalid" if i == 3 else f"e{i}", "u")
        self.api.fail("/api/v1/events", Fault(not_stored=(1,)))
        client.flush(5)
        self.assertEqual(client.stats["pending"], 1)
        client.flush(5)
        names = [e["name"] for e in self.api.events]
        self.assertEqual(sorted(names), ["e0", "e1", "e2"])
        self.assertEqual(len({e["eventId"] for e in self.api.events}), 3)
        self.assertEqual(client.stats["refused"], 1)
        self.assertEqual(client.stats["sent"], 3)

    def test_keeps_events_through_failures_and_sends_each_once(self) -> None:
        client = self.client(max_retries=1)
        for i in range(5):
            client.track(f"e{i}", "u")
        self.api.fail("/api/v1/events", Fault(status=500), Fault(status=503), Fault(status=429, headers={"Retry-After": "0"}))
        self.assertFalse(client.flush(5))
        self.assertEqual(client.stats["pending"], 5)
        self.assertEqual(client.stats["failedBatches" if False else "failed_batches"], 1)
        self.assertTrue(client.flush(5))
        self.assertEqual([e["name"] for e in self.api.events], [f"e{i}" for i in range(5)])

    def test_close_sends_what_is_left(self) -> None:
        client = self.client()
        client.track("bye", "u")
        self.assertTrue(client.close())
        self.assertEqual([e["name"] for e in self.api.events], ["bye"])
        self.assertTrue(client.close())  # idempotent

    def test_measure_records_latency_and_errors_for_the_served_variation(self) -> None:
        client = self.client()
        context = {"targetingKey": "user-7", "email": "x@corp.example"}
        self.assertEqual(client.measure("new-checkout", context, lambda d: (time.sleep(0.02), d.value)[1]), True)
        with self.assertRaises(ZeroDivisionError):
            client.measure("new-checkout", context, lambda d: 1 / 0)
        with self.assertRaises(KeyError):
            with client.measured("new-checkout", context) as details:
                self.assertEqual(details.variation, "on")
                raise KeyError("boom")
        client.flush(5)
        kinds = [(e["type"], e["flagKey"], e["variation"], e["unitId"]) for e in self.api.events]
        self.assertEqual(
            kinds,
            [("latency", "new-checkout", "on", "user-7")] * 2
            + [("error", "new-checkout", "on", "user-7")]
            + [("latency", "new-checkout", "on", "user-7"), ("error", "new-checkout", "on", "user-7")],
        )
        self.assertGreaterEqual(self.api.events[0]["value"], 20)
        self.assertEqual(self.api.events[0]["name"], "new-checkout")


class NeverRaises(ClientTest):
    def test_odd_input_gives_errors_not_exceptions(self) -> None:
        for mode in ("local", "remote"):
            client = self.client(mode=mode)
            self.assertEqual(client.evaluate(5, None).error_code, "FLAG_NOT_FOUND")  # type: ignore[arg-type]
            self.assertEqual(client.evaluate("new-checkout", None).error_code, "TARGETING_KEY_MISSING")  # type: ignore[arg-type]
            self.assertEqual(client.evaluate("new-checkout", {"targetingKey": object()}).reason, "ERROR")
            self.assertFalse(client.track("x", None))  # type: ignore[arg-type]
            self.assertFalse(client.track("x", "u", properties={"bad": object()}) and False)
            self.assertEqual(client.assign("not a context", ["pricing-test"])[0].reason, "UNIT_MISSING")  # type: ignore[arg-type]
            client.evaluate_all(None)  # type: ignore[arg-type]

    def test_a_context_that_is_not_json_is_an_error_in_remote_mode(self) -> None:
        client = self.client(mode="remote")
        result = client.evaluate("new-checkout", {"targetingKey": "u", "x": float("nan")}, default=False)
        self.assertEqual((result.value, result.reason, result.error_code), (False, "ERROR", "GENERAL"))

    def test_a_bad_url_is_logged_not_raised(self) -> None:
        client = Switchyard("k", "not a url", mode="remote", send_events=False, max_retries=0)
        self.clients.append(client)
        self.assertEqual(client.evaluate("f", {}).reason, "ERROR")
        with self.assertRaises(ValueError):
            Switchyard("k", mode="sideways")  # a programming error, at construction only


class TransportTest(unittest.TestCase):
    def test_retry_after_in_seconds_or_as_a_date(self) -> None:
        self.assertEqual(retry_after_seconds("3"), 3.0)
        self.assertIsNone(retry_after_seconds("soon"))
        self.assertIsNone(retry_after_seconds(None))
        later = retry_after_seconds(formatdate(time.time() + 10, usegmt=True))
        self.assertTrue(later is not None and 8 <= later <= 10.5)

    def test_backoff_grows_with_jitter_and_a_cap(self) -> None:
        low = Transport("http://x", "k", backoff_base=0.2, backoff_max=5.0, jitter=lambda: 0.0)
        high = Transport("http://x", "k", backoff_base=0.2, backoff_max=5.0, jitter=lambda: 1.0)
        self.assertEqual([low.backoff(a) for a in range(3)], [0.1, 0.2, 0.4])
        self.assertEqual([high.backoff(a) for a in range(3)], [0.2, 0.4, 0.8])
        self.assertEqual(high.backoff(10), 5.0)


if __name__ == "__main__":
    unittest.main()
