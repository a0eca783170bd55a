"""The Python engine's side of test/sdk/python.test.ts, which compares it with the TypeScript engine.

Reads one JSON document on stdin and writes the answers on stdout:

    {"evaluate": {"ruleset": …, "contexts": [ctx, …]}}             → every flag of the ruleset per context
    {"assign": {"ruleset": …, "contexts": [ctx, …]}}               → every running experiment per context
    {"regex": {"patterns": [p, …], "texts": [t, …]}}               → per pattern {"u": [match per text], "iu": […]}
                                                                      ("unsupported" when it cannot be translated),
                                                                      and per text whether this Python's Unicode
                                                                      database lacks one of its characters

Evaluation results leave out the free-text errorMessage.
"""

import json
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from switchyard.rules import UnsupportedPattern, compile_ecma_regex, compile_ruleset  # noqa: E402


def comparable(result):
    out = result.to_dict()
    out.pop("errorMessage", None)
    return out


def main() -> None:
    request = json.load(sys.stdin)
    answer = {}
    if "evaluate" in request:
        engine = compile_ruleset(request["evaluate"]["ruleset"])
        answer["evaluate"] = [
            [comparable(r) for r in engine.evaluate_all(context)] for context in request["evaluate"]["contexts"]
        ]
    if "assign" in request:
        engine = compile_ruleset(request["assign"]["ruleset"])
        answer["assign"] = [
            {
                "assignments": [a.to_dict() for a in engine.assign(context)],
                "flags": [comparable(r) for r in engine.evaluate_all(context)],
            }
            for context in request["assign"]["contexts"]
        ]
    if "regex" in request:
        rows = []
        for pattern in request["regex"]["patterns"]:
            row = {}
            for flags in ("u", "iu"):
                try:
                    regex = compile_ecma_regex(pattern, flags == "iu")
                except UnsupportedPattern:
                    row[flags] = "unsupported"
                    continue
                row[flags] = [regex.search(text) is not None for text in request["regex"]["texts"]]
            rows.append(row)
        answer["regex"] = rows
        answer["unassigned"] = [
            any(unicodedata.category(c) == "Cn" for c in text) for text in request["regex"]["texts"]
        ]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
