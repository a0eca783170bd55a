"""Results of the engine: a port of the result shapes in shared/rules/types.ts.

Results are precomputed per flag and outcome and shared between evaluations, as in TypeScript: treat `value`
and `payload` as read-only (copy before changing).
"""

from dataclasses import dataclass
from typing import Any, Dict, Optional

EVALUATION_REASONS = ("TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED", "PREREQUISITE_FAILED", "ERROR")
EVALUATION_ERROR_CODES = ("FLAG_NOT_FOUND", "TYPE_MISMATCH", "TARGETING_KEY_MISSING", "PARSE_ERROR", "GENERAL")
ASSIGNMENT_REASONS = ("ASSIGNED", "NOT_ELIGIBLE", "OUTSIDE_LAYER", "OUTSIDE_TRAFFIC", "UNIT_MISSING", "NOT_RUNNING")
FLAG_KINDS = ("boolean", "string", "number", "json")


@dataclass(frozen=True)
class EvaluationResult:
    """OpenFeature-style resolution details (SPEC §2.1); with reason ERROR, value and variation are None."""

    flag_key: str
    value: Any
    variation: Optional[str]
    reason: str
    rule_id: Optional[str] = None
    #: The running experiment whose variant this is (reason SPLIT): an exposure to log.
    experiment_key: Optional[str] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        """The API's JSON shape (`POST /api/v1/evaluate` results): absent fields left out."""
        out: Dict[str, Any] = {
            "flagKey": self.flag_key,
            "value": self.value,
            "variation": self.variation,
            "reason": self.reason,
        }
        for name, value in (
            ("ruleId", self.rule_id),
            ("experimentKey", self.experiment_key),
            ("errorCode", self.error_code),
            ("errorMessage", self.error_message),
        ):
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "EvaluationResult":
        return cls(
            flag_key=data.get("flagKey", ""),
            value=data.get("value"),
            variation=data.get("variation"),
            reason=data.get("reason", "ERROR"),
            rule_id=data.get("ruleId"),
            experiment_key=data.get("experimentKey"),
            error_code=data.get("errorCode"),
            error_message=data.get("errorMessage"),
        )


@dataclass(frozen=True)
class Assignment:
    """One experiment's answer for one unit (SPEC §2.4); ASSIGNED is the only reason with in_experiment."""

    experiment_key: str
    variant: Optional[str]
    payload: Any
    in_experiment: bool
    reason: str

    def to_dict(self) -> Dict[str, Any]:
        """The API's JSON shape (`POST /api/v1/assignments`)."""
        return {
            "experimentKey": self.experiment_key,
            "variant": self.variant,
            "payload": self.payload,
            "inExperiment": self.in_experiment,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Assignment":
        return cls(
            experiment_key=data.get("experimentKey", ""),
            variant=data.get("variant"),
            payload=data.get("payload"),
            in_experiment=data.get("inExperiment") is True,
            reason=data.get("reason", "NOT_RUNNING"),
        )
