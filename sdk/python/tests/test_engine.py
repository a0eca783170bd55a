"""Where Python and JavaScript differ and the engine must not: the port's own traps, beyond the vectors.
(test/sdk/python.test.ts also compares this engine with the TypeScript one on generated contexts.)"""

import copy
import random
import unittest
from datetime import datetime, timedelta, timezone

from support import load_vectors

from switchyard.rules import RulesetError, bucket_of, compile_ecma_regex, compile_ruleset, murmur3
from switchyard.rules.ecma_regex import UnsupportedPattern


def flag(key: str, conditions: dict, **extra) -> dict:
    return {
        "key": key,
        "kind": "boolean",
        "variations": [{"key": "on", "value": True}, {"key": "off", "value": False}],
        "enabled": True,
        "offVariation": "off",
        "rules": [{"id": "r", "conditions": conditions, "serve": {"variation": "on"}}],
        "fallthrough": {"variation": "off"},
        **extra,
    }


def engine_of(*flags: dict, segments=()) -> object:
    return compile_ruleset({"revision": 1, "hashVersion": 1, "flags": list(flags), "segments": list(segments)})


def matches(conditions: dict, context: dict) -> bool:
    return engine_of(flag("f", conditions)).evaluate("f", context).reason == "TARGETING_MATCH"


class JavaScriptValues(unittest.TestCase):
    def test_booleans_are_not_numbers(self) -> None:
        self.assertFalse(matches({"attribute": "a", "op": "eq", "values": [1]}, {"a": True}))
        self.assertFalse(matches({"attribute": "a", "op": "eq", "values": [True]}, {"a": 1}))
        self.assertTrue(matches({"attribute": "a", "op": "eq", "values": [1]}, {"a": 1.0}))
        self.assertFalse(matches({"attribute": "a", "op": "gt", "values": [0]}, {"a": True}))
        self.assertFalse(matches({"attribute": "a", "op": "in", "values": [0, 1], "caseInsensitive": True}, {"a": False}))
        self.assertFalse(matches({"attribute": "a", "op": "after", "values": [0]}, {"a": True}))

    def test_integers_beyond_2_53_compare_as_doubles(self) -> None:
        self.assertTrue(matches({"attribute": "a", "op": "eq", "values": [9007199254740992]}, {"a": 9007199254740993}))
        self.assertFalse(matches({"attribute": "a", "op": "gt", "values": [9007199254740992]}, {"a": 9007199254740993}))

    def test_unit_ids_from_numbers(self) -> None:
        split = flag("s", {"attribute": "x", "op": "exists"})
        split["fallthrough"] = {"allocations": [{"variation": "on", "weight": 5000}, {"variation": "off", "weight": 5000}]}
        engine = engine_of(split)
        self.assertEqual(engine.evaluate("s", {"targetingKey": 42}), engine.evaluate("s", {"targetingKey": "42"}))
        self.assertEqual(engine.evaluate("s", {"targetingKey": 42.0}), engine.evaluate("s", {"targetingKey": "42"}))
        for unusable in (True, 1.5, 2**53, "", [], {}):
            self.assertEqual(engine.evaluate("s", {"targetingKey": unusable}).error_code, "TARGETING_KEY_MISSING")
        self.assertEqual(engine.evaluate("s", {"targetingKey": True, "userId": "u"}), engine.evaluate("s", {"targetingKey": "u"}))

    def test_surrogates_are_encoded_as_javascript_encodes_them(self) -> None:
        pair_as_two = "\ud83d\ude00"  # a surrogate pair held as two code points (e.g. decoded with surrogatepass)
        self.assertEqual(murmur3(pair_as_two), murmur3("😀"))
        self.assertEqual(bucket_of("s", "a\ud800b"), bucket_of("s", "a\ufffdb"))
        self.assertEqual(bucket_of("s", "\udc00\ud800"), bucket_of("s", "\ufffd\ufffd"))

    def test_dates_in_process(self) -> None:
        after = {"attribute": "at", "op": "after", "values": ["2025-01-01T00:00:00Z"]}
        self.assertTrue(matches(after, {"at": datetime(2025, 1, 1, 0, 0, 1, tzinfo=timezone.utc)}))
        self.assertTrue(matches(after, {"at": datetime(2025, 1, 1, 0, 0, 1)}))  # naive: UTC
        self.assertFalse(matches(after, {"at": datetime(2025, 1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))}))
        self.assertFalse(matches(after, {"at": "2025-01-01T00:00:00Z\n"}))
        self.assertFalse(matches({"attribute": "v", "op": "semver_gt", "values": ["1.0.0"]}, {"v": "２.0.0"}))
        self.assertFalse(matches({"attribute": "v", "op": "semver_gt", "values": ["1.0.0"]}, {"v": "2.0.0\n"}))

    def test_callables_and_proto_paths_are_missing(self) -> None:
        self.assertTrue(matches({"attribute": "a", "op": "not_exists"}, {"a": print}))
        self.assertTrue(matches({"attribute": "__proto__", "op": "not_exists"}, {"__proto__": 1}))
        self.assertTrue(matches({"attribute": "a.__proto__", "op": "not_exists"}, {"a": {"__proto__": 1}}))


class EcmaRegexes(unittest.TestCase):
    CASES = [
        (r"^\d+$", "١٢٣", False),
        (r"^\d+$", "123", True),
        (r"^a$", "a\n", False),
        (r"a.c", "a\u2028c", False),
        (r"a.c", "aéc", True),
        (r"(?<year>\d{4})-\k<year>", "2024-2024", True),
        (r"\u{1F600}", "😀", True),
        (r"\uD83D\uDE00", "x😀", True),
        (r"^\p{Lu}+$", "ÀB", True),
        (r"^\p{Lu}+$", "àB", False),
        (r"^[^\D5]+$", "1234", True),
        (r"^[^\D5]+$", "125", False),
        (r"\bfoo\b", "éfooé", True),
        (r"^[]$", "", False),
        (r"^[^]$", "\n", True),
        (r"\s", "\x85", False),
        (r"\s", "\ufeff", True),
        (r"\w", "é", False),
        (r"^\cJ$", "\n", True),
        (r"a\/b", "a/b", True),
        (r"[\-\]]", "]", True),
        (r"(?<=\$)\d+", "$42", True),
    ]

    def test_translations(self) -> None:
        for pattern, text, expected in self.CASES:
            with self.subTest(pattern=pattern, text=text):
                self.assertEqual(compile_ecma_regex(pattern, False).search(text) is not None, expected)

    def test_unsupported_patterns_make_the_flag_a_parse_error(self) -> None:
        with self.assertRaises(UnsupportedPattern):
            compile_ecma_regex(r"\p{Script=Greek}", False)
        engine = engine_of(flag("f", {"attribute": "a", "op": "matches", "values": [r"(?<=a+)b"]}))
        self.assertEqual(engine.evaluate("f", {"a": "aab"}).error_code, "PARSE_ERROR")


class NeverRaises(unittest.TestCase):
    def test_envelopes_that_are_not_rulesets(self) -> None:
        for bad in (None, [], "x", {"flags": {}}, {"flags": [], "hashVersion": 2}, {"flags": [], "hashVersion": True}):
            with self.assertRaises(RulesetError):
                compile_ruleset(bad)

    def test_mangled_rulesets_compile_and_evaluate(self) -> None:
        """Random damage to the vectors' rulesets: compile never raises (but RulesetError), evaluate never raises."""
        rng = random.Random(14)
        junk = [None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"all": None}, {"op": "eq"}, 10_000, "on"]
        sources = [load_vectors("evaluation.json")["ruleset"], load_vectors("assignments.json")["ruleset"]]
        contexts = [{}, {"targetingKey": "u", "userId": 1, "plan": "pro", "country": "US"}, None, []]

        def paths(value, prefix=()):
            yield prefix
            if isinstance(value, dict):
                for k, v in value.items():
                    yield from paths(v, prefix + (k,))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    yield from paths(v, prefix + (i,))

        for round_ in range(150):
            ruleset = copy.deepcopy(sources[round_ % 2])
            candidates = [p for p in paths(ruleset) if len(p) >= 2]
            for path in rng.sample(candidates, 3):
                try:
                    parent = ruleset
                    for step in path[:-1]:
                        parent = parent[step]
                    parent[path[-1]] = rng.choice(junk)
                except (KeyError, IndexError, TypeError):
                    pass  # an earlier change replaced a parent of this path
            try:
                engine = compile_ruleset(ruleset)
            except RulesetError:
                continue
            for info in engine.flags:
                for context in contexts:
                    engine.evaluate(info.key, context)
            for context in contexts:
                engine.assign(context)


if __name__ == "__main__":
    unittest.main()
