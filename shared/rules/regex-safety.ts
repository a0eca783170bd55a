import safeRegex from 'safe-regex2';

/**
 * Write-time vetting of `matches` patterns (SPEC §2.2): a pattern is refused when it is not a valid
 * ECMAScript regex in unicode mode, or when its shape invites catastrophic backtracking. Evaluation runs on
 * every request with attacker-controlled strings, so the checks are deliberately conservative:
 *
 * - safe-regex2's star-height analysis (`(a+)+`, `(.*a){12}`);
 * - backreferences (`\1`, `\k<name>`), which no linear-time engine supports and SDKs in other languages
 *   would not reproduce;
 * - nested quantifiers: a repeated group that contains a quantifier (`(ab?)+`, `(?:a+){2}`);
 * - repeated alternation unless the alternatives are distinct literals, none a prefix of another
 *   (`(a|aa)+` refused, `(com|org)+` allowed);
 * - adjacent unbounded quantifiers over overlapping characters (`.*.*x`, `\d+\d+`), polynomial blow-ups.
 */
export const MAX_PATTERN_LENGTH = 500;

/** Why a pattern is refused, or null when it is acceptable. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  const shape = new PatternScanner(pattern).scan();
  if (shape !== null) return shape;
  if (!safeRegex(pattern)) return 'may backtrack catastrophically (nested repetition)';
  return null;
}

interface GroupShape {
  readonly hasQuantifier: boolean;
  readonly alternatives: readonly string[];
}

interface Quantifier {
  readonly end: number;
  /** Can repeat the atom more than once. */
  readonly repeating: boolean;
  readonly unbounded: boolean;
}

const QUANTIFIER_BRACES = /^\{(\d+)(,(\d*))?\}/;
const GROUP_PREFIX = /^\((?:\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>))?/;
const METACHARACTERS = /[\\^$.|?*+()[\]{}]/;
/** Characters tried when deciding whether two quantified atoms can match the same character. */
const SAMPLE_CHARACTERS = [
  ...Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
  'é',
  'ß',
  'Ω',
  'ж',
  '中',
  '\u00a0',
  '\u2028',
  '😀',
];

class PatternScanner {
  private i = 0;
  private problem: string | null = null;

  constructor(private readonly pattern: string) {}

  scan(): string | null {
    this.group();
    return this.problem;
  }

  /** Reads a sequence of alternatives up to the closing `)` (consumed) or the end of the pattern. */
  private group(): GroupShape {
    const p = this.pattern;
    const alternatives: string[] = [];
    let alternativeStart = this.i;
    let hasQuantifier = false;
    let previousUnbounded: string | null = null;
    while (this.i < p.length && this.problem === null) {
      const c = p[this.i]!;
      if (c === ')') {
        alternatives.push(p.slice(alternativeStart, this.i));
        this.i++;
        return { hasQuantifier, alternatives };
      }
      if (c === '|') {
        alternatives.push(p.slice(alternativeStart, this.i));
        this.i++;
        alternativeStart = this.i;
        previousUnbounded = null;
        continue;
      }
      if (c === '^' || c === '$') {
        this.i++;
        previousUnbounded = null;
        continue;
      }
      const atomStart = this.i;
      let inner: GroupShape | null = null;
      if (c === '(') {
        this.i += GROUP_PREFIX.exec(p.slice(this.i))![0].length;
        inner = this.group();
        if (inner.hasQuantifier) hasQuantifier = true;
      } else {
        this.i = this.atomEnd(this.i);
      }
      const atom = p.slice(atomStart, this.i);
      const quantifier = this.quantifier(this.i);
      if (quantifier === null) {
        previousUnbounded = null;
        continue;
      }
      this.i = quantifier.end;
      hasQuantifier = true;
      if (inner !== null && quantifier.repeating) {
        if (inner.hasQuantifier) {
          this.problem = `may backtrack catastrophically: "${atom}" repeats a group that contains a quantifier`;
        } else if (inner.alternatives.length > 1 && !distinctLiterals(inner.alternatives)) {
          this.problem = `may backtrack catastrophically: "${atom}" repeats overlapping alternatives`;
        }
      }
      if (inner === null && quantifier.unbounded) {
        if (previousUnbounded !== null && overlap(previousUnbounded, atom)) {
          this.problem = `may backtrack catastrophically: adjacent unbounded quantifiers on "${previousUnbounded}" and "${atom}"`;
        }
        previousUnbounded = atom;
      } else {
        previousUnbounded = null;
      }
    }
    alternatives.push(p.slice(alternativeStart, this.i));
    return { hasQuantifier, alternatives };
  }

  /** End of a non-group atom starting at `start`: an escape, a class, `.` or one literal code point. */
  private atomEnd(start: number): number {
    const p = this.pattern;
    const c = p[start]!;
    if (c === '[') {
      let j = start + 1;
      while (j < p.length && p[j] !== ']') j += p[j] === '\\' ? 2 : 1;
      return j + 1;
    }
    if (c === '\\') {
      const e = p[start + 1] ?? '';
      if (/[1-9]/.test(e) || e === 'k') {
        this.problem = 'must not use backreferences';
        return start + 2;
      }
      if ((e === 'u' || e === 'p' || e === 'P') && p[start + 2] === '{') return p.indexOf('}', start) + 1;
      if (e === 'u') return start + 6;
      if (e === 'x') return start + 4;
      if (e === 'c') return start + 3;
      return start + 2;
    }
    return start + (p.codePointAt(start)! > 0xffff ? 2 : 1);
  }

  private quantifier(at: number): Quantifier | null {
    const p = this.pattern;
    const c = p[at];
    let quantifier: Quantifier;
    if (c === '*' || c === '+') {
      quantifier = { end: at + 1, repeating: true, unbounded: true };
    } else if (c === '?') {
      quantifier = { end: at + 1, repeating: false, unbounded: false };
    } else if (c === '{') {
      const braces = QUANTIFIER_BRACES.exec(p.slice(at));
      if (braces === null) return null;
      const min = Number(braces[1]);
      const unbounded = braces[2] !== undefined && braces[3] === '';
      const max = braces[2] === undefined ? min : unbounded ? Infinity : Number(braces[3]);
      quantifier = { end: at + braces[0].length, repeating: max > 1, unbounded };
    } else {
      return null;
    }
    return p[quantifier.end] === '?' ? { ...quantifier, end: quantifier.end + 1 } : quantifier;
  }
}

/** Alternatives that are plain literals, none empty and none a prefix of another: one way to match each. */
function distinctLiterals(alternatives: readonly string[]): boolean {
  if (alternatives.some((a) => a.length === 0 || METACHARACTERS.test(a))) return false;
  return alternatives.every((a, i) =>
    alternatives.every((b, j) => i === j || (!b.startsWith(a) && !a.startsWith(b))),
  );
}

function overlap(a: string, b: string): boolean {
  const first = new RegExp(`^(?:${a})$`, 'iu');
  const second = new RegExp(`^(?:${b})$`, 'iu');
  return SAMPLE_CHARACTERS.some((ch) => first.test(ch) && second.test(ch));
}
