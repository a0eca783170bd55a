"""ECMAScript regular expressions (unicode mode, the `matches` operator) run on Python's `re`.

shared/rules/operators.ts compiles `matches` patterns with `new RegExp(pattern, 'u')` (`'iu'` when
caseInsensitive) and tests them unanchored. The two dialects share most syntax but not all meanings, so each
pattern is translated once, at compile time:

| ECMAScript (u)           | Python `re` reads it as          | translated to                                   |
| ------------------------ | -------------------------------- | ----------------------------------------------- |
| `\\d` `\\w` `\\s` `\\b`      | Unicode digits, letters, spaces  | ASCII `[0-9]`, `[A-Za-z0-9_]`, JS's space set   |
| `.`                      | anything but `\\n`                | anything but `\\n \\r \\u2028 \\u2029`              |
| `$`                      | end, or before a final `\\n`      | `\\Z` (end only)                                 |
| `(?<name>…)` `\\k<name>`  | syntax errors                    | `(?P<name>…)` `(?P=name)`                       |
| `\\u{1F600}` `\\uD83D\\uDE00` | syntax errors / two surrogates  | the code point                                  |
| `\\p{Lu}` `\\P{L}`          | syntax errors                    | general-category ranges from `unicodedata`      |
| `[^]` `[]` `\\cJ` `\\0`      | syntax errors / different        | any character, nothing, U+000A, U+0000          |

Patterns are vetted on write (shared/rules/regex-safety.ts: valid in unicode mode, no backreferences, no
catastrophic shapes). What this module cannot reproduce raises `UnsupportedPattern`, and the flag evaluates to
`ERROR`/`PARSE_ERROR` here as an invalid pattern does in TypeScript: `\\p{…}` other than general categories,
`ASCII`, `Any` and `Assigned` (scripts, binary properties such as `Emoji`), and lookbehinds whose width is not
fixed (Python's limit). Case-insensitive matching uses Python's simple case folding, which agrees with
JavaScript's except for a handful of characters (`İ`, `ı`).
"""

import re
import unicodedata
from functools import lru_cache
from typing import Dict, List, Optional, Pattern, Tuple


class UnsupportedPattern(ValueError):
    """A valid ECMAScript pattern this module cannot translate, or an invalid one."""


_WORD = "A-Za-z0-9_"
_DIGIT = "0-9"
# ECMAScript WhiteSpace and LineTerminator (what `\s` matches), as Python class content.
_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_ANY = "(?s:.)"
_DOT = "[^\\n\\r\\u2028\\u2029]"
_BOUNDARY = f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
_NOT_BOUNDARY = f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"

_CATEGORY_ALIASES: Dict[str, Tuple[str, ...]] = {}


def _alias(names: str, categories: str) -> None:
    for name in names.split():
        _CATEGORY_ALIASES[name] = tuple(categories.split())


_alias("L Letter", "Lu Ll Lt Lm Lo")
_alias("LC Cased_Letter", "Lu Ll Lt")
_alias("Lu Uppercase_Letter", "Lu")
_alias("Ll Lowercase_Letter", "Ll")
_alias("Lt Titlecase_Letter", "Lt")
_alias("Lm Modifier_Letter", "Lm")
_alias("Lo Other_Letter", "Lo")
_alias("M Mark Combining_Mark", "Mn Mc Me")
_alias("Mn Nonspacing_Mark", "Mn")
_alias("Mc Spacing_Mark", "Mc")
_alias("Me Enclosing_Mark", "Me")
_alias("N Number", "Nd Nl No")
_alias("Nd Decimal_Number digit", "Nd")
_alias("Nl Letter_Number", "Nl")
_alias("No Other_Number", "No")
_alias("P Punctuation punct", "Pc Pd Ps Pe Pi Pf Po")
_alias("Pc Connector_Punctuation", "Pc")
_alias("Pd Dash_Punctuation", "Pd")
_alias("Ps Open_Punctuation", "Ps")
_alias("Pe Close_Punctuation", "Pe")
_alias("Pi Initial_Punctuation", "Pi")
_alias("Pf Final_Punctuation", "Pf")
_alias("Po Other_Punctuation", "Po")
_alias("S Symbol", "Sm Sc Sk So")
_alias("Sm Math_Symbol", "Sm")
_alias("Sc Currency_Symbol", "Sc")
_alias("Sk Modifier_Symbol", "Sk")
_alias("So Other_Symbol", "So")
_alias("Z Separator", "Zs Zl Zp")
_alias("Zs Space_Separator", "Zs")
_alias("Zl Line_Separator", "Zl")
_alias("Zp Paragraph_Separator", "Zp")
_alias("C Other", "Cc Cf Cs Co Cn")
_alias("Cc Control cntrl", "Cc")
_alias("Cf Format", "Cf")
_alias("Cs Surrogate", "Cs")
_alias("Co Private_Use", "Co")
_alias("Cn Unassigned", "Cn")

_category_ranges: Optional[Dict[str, List[Tuple[int, int]]]] = None


def _ranges_by_category() -> Dict[str, List[Tuple[int, int]]]:
    """Every code point's general category as ranges, built once (about a second) on first use of `\\p`."""
    global _category_ranges
    if _category_ranges is None:
        table: Dict[str, List[Tuple[int, int]]] = {}
        current, start = unicodedata.category("\0"), 0
        for code in range(1, 0x110000):
            category = unicodedata.category(chr(code))
            if category != current:
                table.setdefault(current, []).append((start, code - 1))
                current, start = category, code
        table.setdefault(current, []).append((start, 0x10FFFF))
        _category_ranges = table
    return _category_ranges


def _code(code: int) -> str:
    return f"\\U{code:08x}"


@lru_cache(maxsize=64)
def _property_class(name: str) -> str:
    """Python class content for `\\p{name}` (without brackets)."""
    key = name
    for prefix in ("General_Category=", "gc="):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    if key == "Any":
        return f"{_code(0)}-{_code(0x10FFFF)}"
    if key == "ASCII":
        return f"{_code(0)}-{_code(0x7F)}"
    if key == "Assigned":
        ranges = _ranges_by_category().get("Cn", [])
        assigned, low = [], 0
        for start, end in ranges:
            if start > low:
                assigned.append((low, start - 1))
            low = end + 1
        if low <= 0x10FFFF:
            assigned.append((low, 0x10FFFF))
        return "".join(_code(a) if a == b else f"{_code(a)}-{_code(b)}" for a, b in assigned)
    categories = _CATEGORY_ALIASES.get(key)
    if categories is None:
        raise UnsupportedPattern(f"\\p{{{name}}} is not supported by the Python SDK")
    table = _ranges_by_category()
    ranges = sorted(r for c in categories for r in table.get(c, []))
    return "".join(_code(a) if a == b else f"{_code(a)}-{_code(b)}" for a, b in ranges)


def _class_char(char: str) -> str:
    """One character inside a Python class: ASCII letters and digits as they are, anything else by code."""
    return char if char.isascii() and char.isalnum() else _code(ord(char))


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.names: Dict[str, str] = {}

    def fail(self, message: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{message} at {self.i} in {self.p!r}")

    def group_name(self, name: str) -> str:
        # ECMAScript allows `$` in group names, Python does not.
        if name not in self.names:
            safe = re.sub(r"[^0-9A-Za-z_]", lambda m: f"_u{ord(m.group()):x}_", name)
            if not safe or safe[0].isdigit():
                safe = "g_" + safe
            self.names[name] = safe
        return self.names[name]

    def translate(self) -> str:
        out: List[str] = []
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == "\\":
                out.append(self.escape())
            elif c == "[":
                out.append(self.char_class())
            elif c == ".":
                out.append(_DOT)
                self.i += 1
            elif c == "$":
                out.append("\\Z")
                self.i += 1
            elif c == "(":
                out.append(self.group_open())
            else:
                out.append(c)
                self.i += 1
        return "".join(out)

    def group_open(self) -> str:
        p = self.p
        if p.startswith("(?<", self.i) and not p.startswith("(?<=", self.i) and not p.startswith("(?<!", self.i):
            end = p.find(">", self.i)
            if end == -1:
                raise self.fail("unterminated group name")
            name = p[self.i + 3 : end]
            self.i = end + 1
            return f"(?P<{self.group_name(name)}>"
        self.i += 1
        return "("

    def code_point_escape(self) -> Optional[int]:
        """`\\u{…}`, `\\uXXXX` (a surrogate pair of escapes is one code point), `\\xHH`, `\\cX`; after the backslash."""
        p = self.p
        c = p[self.i]
        if c == "u":
            if p.startswith("{", self.i + 1):
                end = p.find("}", self.i)
                if end == -1:
                    raise self.fail("bad \\u{…}")
                code = int(p[self.i + 2 : end], 16)
                self.i = end + 1
                return code
            digits = p[self.i + 1 : self.i + 5]
            if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                raise self.fail("bad \\u escape")
            code = int(digits, 16)
            self.i += 5
            low = p[self.i + 2 : self.i + 6]
            if 0xD800 <= code < 0xDC00 and p.startswith("\\u", self.i) and re.fullmatch(r"[0-9A-Fa-f]{4}", low):
                low_code = int(low, 16)
                if 0xDC00 <= low_code < 0xE000:
                    self.i += 6
                    return 0x10000 + ((code - 0xD800) << 10) + (low_code - 0xDC00)
            return code
        if c == "x":
            digits = p[self.i + 1 : self.i + 3]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
                raise self.fail("bad \\x escape")
            self.i += 3
            return int(digits, 16)
        if c == "c":
            letter = p[self.i + 1 : self.i + 2]
            if not re.fullmatch(r"[A-Za-z]", letter):
                raise self.fail("bad \\c escape")
            self.i += 2
            return ord(letter) % 32
        if c == "0" and not p[self.i + 1 : self.i + 2].isdigit():
            self.i += 1
            return 0
        simple = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13}
        if c in simple:
            self.i += 1
            return simple[c]
        return None

    def property_name(self) -> Tuple[bool, str]:
        """`p{…}` or `P{…}` after the backslash: (negated, name)."""
        p = self.p
        negated = p[self.i] == "P"
        if not p.startswith("{", self.i + 1):
            raise self.fail("bad property escape")
        end = p.find("}", self.i)
        if end == -1:
            raise self.fail("bad property escape")
        name = p[self.i + 2 : end]
        self.i = end + 1
        return negated, name

    def escape(self) -> str:
        self.i += 1
        p = self.p
        if self.i >= len(p):
            raise self.fail("trailing backslash")
        c = p[self.i]
        shorthand = {
            "d": f"[{_DIGIT}]",
            "D": f"[^{_DIGIT}]",
            "w": f"[{_WORD}]",
            "W": f"[^{_WORD}]",
            "s": f"[{_SPACE}]",
            "S": f"[^{_SPACE}]",
            "b": _BOUNDARY,
            "B": _NOT_BOUNDARY,
        }
        if c in shorthand:
            self.i += 1
            return shorthand[c]
        if c in "pP":
            negated, name = self.property_name()
            return f"[{'^' if negated else ''}{_property_class(name)}]"
        if c == "k" and p.startswith("<", self.i + 1):
            end = p.find(">", self.i)
            name = p[self.i + 2 : end]
            self.i = end + 1
            return f"(?P={self.group_name(name)})"
        if c.isdigit():
            match = re.match(r"[0-9]+", p[self.i :])
            assert match is not None
            self.i += len(match.group())
            return f"(?:\\{match.group()})"
        code = self.code_point_escape()
        if code is not None:
            return _code(code)
        # An identity escape (`\.`, `\/`, `\-`…).
        self.i += 1
        return re.escape(c)

    def class_atom(self) -> Tuple[str, object]:
        """One class atom: ('char', code) or ('set', content) or ('negset', content)."""
        p = self.p
        c = p[self.i]
        if c != "\\":
            self.i += 1
            return "char", ord(c)
        self.i += 1
        if self.i >= len(p):
            raise self.fail("trailing backslash")
        c = p[self.i]
        sets = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
        if c in sets:
            self.i += 1
            return "set", sets[c]
        if c.lower() in sets:
            self.i += 1
            return "negset", sets[c.lower()]
        if c in "pP":
            negated, name = self.property_name()
            return ("negset" if negated else "set"), _property_class(name)
        if c == "b":
            self.i += 1
            return "char", 8
        code = self.code_point_escape()
        if code is not None:
            return "char", code
        self.i += 1
        return "char", ord(c)

    def char_class(self) -> str:
        p = self.p
        self.i += 1
        negated = p.startswith("^", self.i)
        if negated:
            self.i += 1
        positive: List[str] = []
        complements: List[str] = []
        while True:
            if self.i >= len(p):
                raise self.fail("unterminated character class")
            if p[self.i] == "]":
                self.i += 1
                break
            kind, value = self.class_atom()
            if kind == "char" and p.startswith("-", self.i) and self.i + 1 < len(p) and p[self.i + 1] != "]":
                self.i += 1
                end_kind, end_value = self.class_atom()
                if end_kind != "char":
                    raise self.fail("class escape in a range")
                low, high = int(value), int(end_value)  # type: ignore[call-overload]
                if low > high:
                    raise self.fail("range out of order")
                positive.append(f"{_code(low)}-{_code(high)}")
            elif kind == "char":
                positive.append(_class_char(chr(int(value))))  # type: ignore[call-overload]
            elif kind == "set":
                positive.append(str(value))
            else:
                complements.append(str(value))
        if not complements:
            if not positive:
                return _ANY if negated else "(?!)"
            return f"[{'^' if negated else ''}{''.join(positive)}]"
        parts = ([f"[{''.join(positive)}]"] if positive else []) + [f"[^{c}]" for c in complements]
        union = f"(?:{'|'.join(parts)})"
        return f"(?:(?!{union}){_ANY})" if negated else union


@lru_cache(maxsize=1024)
def compile_ecma_regex(pattern: str, ignore_case: bool) -> Pattern[str]:
    """`new RegExp(pattern, ignore_case ? 'iu' : 'u')` as a Python pattern; use `.search` for `.test`."""
    try:
        translated = _Translator(pattern).translate()
        return re.compile(translated, re.IGNORECASE if ignore_case else 0)
    except UnsupportedPattern:
        raise
    except (re.error, ValueError, OverflowError) as error:
        raise UnsupportedPattern(f"{pattern!r}: {error}") from error
