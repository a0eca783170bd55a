"""Prerequisite graphs (SPEC §2.1): a port of shared/rules/prerequisites.ts."""

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

#: Longest prerequisite chain the engine follows; deeper chains evaluate to ERROR.
MAX_PREREQUISITE_DEPTH = 32

# A node is {"key": str, "prerequisites": [{"flagKey": str}, ...]}.
Node = Mapping[str, Any]


def _children(by_key: Mapping[str, Node], key: str) -> Sequence[Mapping[str, Any]]:
    node = by_key.get(key)
    return [] if node is None else node.get("prerequisites") or []


def find_prerequisite_cycle(flags: Sequence[Node]) -> Optional[List[str]]:
    """prerequisites.ts `findPrerequisiteCycle`: the first cycle as ['a', 'b', 'a'], or None."""
    by_key = {flag["key"]: flag for flag in flags}  # as `new Map(entries)`: the last duplicate wins
    done: set = set()
    on_path: Dict[str, int] = {}
    path: List[str] = []
    for root in flags:
        if root["key"] in done:
            continue
        stack = [[root["key"], 0]]
        on_path[root["key"]] = 0
        path.append(root["key"])
        while stack:
            frame = stack[-1]
            prerequisites = _children(by_key, frame[0])
            if frame[1] < len(prerequisites):
                child = prerequisites[frame[1]]["flagKey"]
                frame[1] += 1
                at = on_path.get(child)
                if at is not None:
                    return path[at:] + [child]
                if child in done or child not in by_key:
                    continue
                on_path[child] = len(path)
                path.append(child)
                stack.append([child, 0])
            else:
                stack.pop()
                path.pop()
                on_path.pop(frame[0], None)
                done.add(frame[0])
    return None


def prerequisite_depths(flags: Sequence[Node]) -> Dict[str, float]:
    """compile.ts `prerequisiteDepths`: the longest chain below each flag; infinity when a cycle is reachable."""
    by_key = {flag["key"]: flag for flag in flags}
    depth: Dict[str, float] = {}
    in_progress: set = set()
    for root in flags:
        if root["key"] in depth:
            continue
        # Frames: [key, next child index, deepest chain so far].
        stack: List[List[Any]] = [[root["key"], 0, 0.0]]
        in_progress.add(root["key"])
        while stack:
            frame = stack[-1]
            prerequisites = _children(by_key, frame[0])
            if frame[1] < len(prerequisites):
                child = prerequisites[frame[1]]["flagKey"]
                frame[1] += 1
                if child not in by_key:
                    continue
                if child in in_progress:
                    frame[2] = math.inf
                elif child in depth:
                    frame[2] = max(frame[2], depth[child] + 1)
                else:
                    in_progress.add(child)
                    stack.append([child, 0, 0.0])
            else:
                stack.pop()
                in_progress.discard(frame[0])
                depth[frame[0]] = frame[2]
                if stack:
                    stack[-1][2] = max(stack[-1][2], frame[2] + 1)
    return depth
