"""Switchyard's Python SDK (standard library only): local evaluation with the service's own semantics,
remote evaluation, experiment assignment and batched events.

    from switchyard import Switchyard

    client = Switchyard("sy_...", "https://api.example.com", mode="local")
    if client.boolean_value("new-checkout", {"targetingKey": "user-42"}, False):
        ...
"""

from ._version import __version__
from .client import Switchyard
from .rules import Assignment, CompiledRuleset, EvaluationResult, RulesetError, compile_ruleset
from .transport import Transport, TransportError

__all__ = [
    "Assignment",
    "CompiledRuleset",
    "EvaluationResult",
    "RulesetError",
    "Switchyard",
    "Transport",
    "TransportError",
    "__version__",
    "compile_ruleset",
]
