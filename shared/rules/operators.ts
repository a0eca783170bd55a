import {
  attributeGetter,
  defaultUnit,
  splitPath,
  toUnitId,
  type AttributeGetter,
  type Context,
} from './attributes';
import { cidrMatcher, parseCidr } from './cidr';
import { toEpochMillis } from './dates';
import { compareSemver, compareSemverText, parseSemver } from './semver';
import type { Clause, Condition } from './types';

/**
 * Compiles conditions into predicates over a context. Everything that does not depend on the context is done
 * here, once per ruleset revision: Sets for in/not_in, lower-cased values, parsed versions, compiled regexes,
 * parsed CIDR ranges, instants as epoch ms, thresholds folded to one number.
 *
 * Clause semantics (docs/rules.md): a positive operator matches when the attribute, or any element of an
 * array attribute, satisfies it against any of the values; a missing attribute (undefined or null) or one
 * of the wrong type never matches. A negated operator (neq, not_in, not_contains, not_in_segment) matches when
 * the attribute has at least one element of a usable type and no element satisfies the positive operator:
 * it is false on a missing attribute too (use `{not: …}` to include contexts without the attribute).
 */
export type Predicate = (context: Context) => boolean;
type ElementTest = (value: unknown) => boolean;
/** A top-level attribute name, or a getter for a nested path. */
type Attribute = string | AttributeGetter;

/** How a clause reaches segments: the compiled membership tests by key. */
export type SegmentMembership = (context: Context, unit: string | undefined) => boolean;
export interface ConditionEnvironment {
  readonly segment: (key: string) => SegmentMembership | undefined;
  /** Getters shared by every clause reading the same path. */
  readonly getters: Map<string, AttributeGetter>;
}

export class RuleCompileError extends Error {
  override readonly name = 'RuleCompileError';
}

const never: Predicate = () => false;
const always: Predicate = () => true;

export function compileCondition(condition: Condition, env: ConditionEnvironment): Predicate {
  if ('all' in condition) return allOf(condition.all.map((c) => compileCondition(c, env)));
  if ('any' in condition) return anyOf(condition.any.map((c) => compileCondition(c, env)));
  if ('not' in condition) {
    const inner = compileCondition(condition.not, env);
    return (context) => !inner(context);
  }
  if ('op' in condition) return compileClause(condition, env);
  throw new RuleCompileError('a condition is {all}, {any}, {not} or a clause');
}

function allOf(parts: Predicate[]): Predicate {
  if (parts.length === 0) return always;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (context) => a(context) && b(context);
  }
  return (context) => {
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(context)) return false;
    return true;
  };
}

function anyOf(parts: Predicate[]): Predicate {
  if (parts.length === 0) return never;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (context) => a(context) || b(context);
  }
  return (context) => {
    for (let i = 0; i < parts.length; i++) if (parts[i]!(context)) return true;
    return false;
  };
}

/**
 * Positive operators: the value, or any element of an array value, passes the test. A top-level attribute is
 * read in place rather than through a getter (the common case, one call less); element tests are false for
 * functions, so inherited methods need no special care here.
 */
function anyElement(attribute: Attribute, test: ElementTest): Predicate {
  if (typeof attribute === 'string') {
    const key = attribute;
    return (context) => {
      const value = context[key];
      if (value === undefined || value === null) return false;
      if (!Array.isArray(value)) return test(value);
      for (let i = 0; i < value.length; i++) if (test(value[i])) return true;
      return false;
    };
  }
  const get = attribute;
  return (context) => {
    const value = get(context);
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) return test(value);
    for (let i = 0; i < value.length; i++) if (test(value[i])) return true;
    return false;
  };
}

/** Negated operators: some element is of a usable type and no element passes the positive test. */
function noElement(attribute: Attribute, usable: ElementTest, test: ElementTest): Predicate {
  const get: AttributeGetter = typeof attribute === 'string' ? (context) => context[attribute] : attribute;
  return (context) => {
    const value = get(context);
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) return usable(value) && !test(value);
    let seen = false;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (!usable(element)) continue;
      if (test(element)) return false;
      seen = true;
    }
    return seen;
  };
}

const isScalar: ElementTest = (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isString: ElementTest = (v) => typeof v === 'string';

function strings(clause: Clause): string[] {
  return clause.values.map((v) => {
    if (typeof v !== 'string') throw new RuleCompileError(`${clause.op} takes strings, got ${typeof v}`);
    return clause.caseInsensitive === true ? v.toLowerCase() : v;
  });
}

function numbers(clause: Clause): number[] {
  return clause.values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new RuleCompileError(`${clause.op} takes numbers`);
    return v;
  });
}

function nonEmpty<T>(clause: Clause, values: T[]): T[] {
  if (values.length === 0) throw new RuleCompileError(`${clause.op} needs at least one value`);
  return values;
}

function equalityTest(clause: Clause): ElementTest {
  const values = clause.values.filter(isScalar);
  if (clause.caseInsensitive === true) {
    const exact = new Set<unknown>(values.filter((v) => typeof v !== 'string'));
    const folded = new Set(values.filter((v) => typeof v === 'string').map((v) => v.toLowerCase()));
    return (v) => (typeof v === 'string' ? folded.has(v.toLowerCase()) : exact.has(v));
  }
  if (values.length === 1) {
    const only = values[0];
    return (v) => v === only;
  }
  const set = new Set<unknown>(values);
  return (v) => set.has(v);
}

function stringTest(clause: Clause, match: (value: string, operand: string) => boolean): ElementTest {
  const operands = strings(clause);
  const fold = clause.caseInsensitive === true;
  if (operands.length === 1) {
    const only = operands[0]!;
    return (v) => typeof v === 'string' && match(fold ? v.toLowerCase() : v, only);
  }
  return (v) => {
    if (typeof v !== 'string') return false;
    const s = fold ? v.toLowerCase() : v;
    for (let i = 0; i < operands.length; i++) if (match(s, operands[i]!)) return true;
    return false;
  };
}

function regexTest(clause: Clause): ElementTest {
  const flags = clause.caseInsensitive === true ? 'iu' : 'u';
  const regexes = clause.values.map((v) => {
    if (typeof v !== 'string') throw new RuleCompileError('matches takes patterns');
    return new RegExp(v, flags);
  });
  return (v) => {
    if (typeof v !== 'string') return false;
    for (let i = 0; i < regexes.length; i++) if (regexes[i]!.test(v)) return true;
    return false;
  };
}

/** gt/gte match above the smallest value, lt/lte below the largest: "any value" folded to one threshold. */
function numberTest(clause: Clause): ElementTest {
  const values = nonEmpty(clause, numbers(clause));
  const low = Math.min(...values);
  const high = Math.max(...values);
  switch (clause.op) {
    case 'gt':
      return (v) => typeof v === 'number' && v > low;
    case 'gte':
      return (v) => typeof v === 'number' && v >= low;
    case 'lt':
      return (v) => typeof v === 'number' && v < high;
    default:
      return (v) => typeof v === 'number' && v <= high;
  }
}

function semverTest(clause: Clause): ElementTest {
  const versions = nonEmpty(
    clause,
    clause.values.map((v) => {
      const parsed = typeof v === 'string' ? parseSemver(v) : null;
      if (parsed === null)
        throw new RuleCompileError(`${clause.op} takes semantic versions, got ${String(v)}`);
      return parsed;
    }),
  ).sort(compareSemver);
  const low = versions[0]!;
  const high = versions[versions.length - 1]!;
  const compareTo = (v: unknown, target: typeof low): number =>
    typeof v === 'string' ? compareSemverText(v, target) : NaN;
  switch (clause.op) {
    case 'semver_eq':
      return (v) => {
        if (typeof v !== 'string') return false;
        for (let i = 0; i < versions.length; i++) if (compareSemverText(v, versions[i]!) === 0) return true;
        return false;
      };
    case 'semver_gt':
      return (v) => compareTo(v, low) > 0;
    case 'semver_gte':
      return (v) => compareTo(v, low) >= 0;
    case 'semver_lt':
      return (v) => compareTo(v, high) < 0;
    default:
      return (v) => compareTo(v, high) <= 0;
  }
}

function dateTest(clause: Clause): ElementTest {
  const instants = nonEmpty(
    clause,
    clause.values.map((v) => {
      const t = toEpochMillis(v);
      if (Number.isNaN(t)) throw new RuleCompileError(`${clause.op} takes ISO-8601 dates or epoch ms`);
      return t;
    }),
  );
  if (clause.op === 'before') {
    const latest = Math.max(...instants);
    return (v) => toEpochMillis(v) < latest;
  }
  const earliest = Math.min(...instants);
  return (v) => toEpochMillis(v) > earliest;
}

function cidrTest(clause: Clause): ElementTest {
  const ranges = nonEmpty(
    clause,
    clause.values.map((v) => {
      const range = typeof v === 'string' ? parseCidr(v) : null;
      if (range === null) throw new RuleCompileError(`in_cidr takes CIDR ranges, got ${String(v)}`);
      return range;
    }),
  );
  return cidrMatcher(ranges);
}

function getterFor(path: string, env: ConditionEnvironment): AttributeGetter {
  let getter = env.getters.get(path);
  if (getter === undefined) {
    getter = attributeGetter(path);
    env.getters.set(path, getter);
  }
  return getter;
}

function segmentPredicate(clause: Clause, env: ConditionEnvironment): Predicate {
  const memberships = clause.values.map((key) => {
    if (typeof key !== 'string') throw new RuleCompileError(`${clause.op} takes segment keys`);
    // An unknown segment has no members (as a deleted segment would); deletion of referenced segments is
    // refused on write, so this only happens with hand-made rulesets.
    return env.segment(key) ?? (() => false);
  });
  const inAny = (context: Context, unit: string | undefined): boolean => {
    for (let i = 0; i < memberships.length; i++) if (memberships[i]!(context, unit)) return true;
    return false;
  };
  const negated = clause.op === 'not_in_segment';
  if (clause.attribute === undefined) {
    return negated
      ? (context) => {
          const unit = defaultUnit(context);
          return unit !== undefined && !inAny(context, unit);
        }
      : (context) => inAny(context, defaultUnit(context));
  }
  const get = getterFor(clause.attribute, env);
  const usable: ElementTest = (v) => toUnitId(v) !== undefined;
  // Without a unit the segment's conditions can still match; the lists cannot.
  const positive = (context: Context): boolean => {
    const value = get(context);
    if (!Array.isArray(value)) return inAny(context, toUnitId(value));
    let sawUnit = false;
    for (let i = 0; i < value.length; i++) {
      const unit = toUnitId(value[i]);
      if (unit === undefined) continue;
      if (inAny(context, unit)) return true;
      sawUnit = true;
    }
    return !sawUnit && inAny(context, undefined);
  };
  if (!negated) return positive;
  return (context) => {
    const value = get(context);
    const hasUnit = Array.isArray(value) ? value.some(usable) : usable(value);
    return hasUnit && !positive(context);
  };
}

export function compileClause(clause: Clause, env: ConditionEnvironment): Predicate {
  const op = clause.op;
  if (op === 'in_segment' || op === 'not_in_segment') return segmentPredicate(clause, env);
  if (typeof clause.attribute !== 'string') throw new RuleCompileError(`${op} needs an attribute`);
  const get = getterFor(clause.attribute, env);
  const segments = splitPath(clause.attribute);
  const attribute: Attribute = segments?.length === 1 ? segments[0]! : get;
  switch (op) {
    case 'exists':
      return (context) => {
        const value = get(context);
        return value !== undefined && value !== null;
      };
    case 'not_exists':
      return (context) => {
        const value = get(context);
        return value === undefined || value === null;
      };
    case 'eq':
    case 'in':
      return anyElement(attribute, equalityTest(clause));
    case 'neq':
    case 'not_in':
      return noElement(attribute, isScalar, equalityTest(clause));
    case 'contains':
      return anyElement(
        attribute,
        stringTest(clause, (s, operand) => s.includes(operand)),
      );
    case 'not_contains':
      return noElement(
        attribute,
        isString,
        stringTest(clause, (s, operand) => s.includes(operand)),
      );
    case 'starts_with':
      return anyElement(
        attribute,
        stringTest(clause, (s, operand) => s.startsWith(operand)),
      );
    case 'ends_with':
      return anyElement(
        attribute,
        stringTest(clause, (s, operand) => s.endsWith(operand)),
      );
    case 'matches':
      return anyElement(attribute, regexTest(clause));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return anyElement(attribute, numberTest(clause));
    case 'semver_eq':
    case 'semver_gt':
    case 'semver_gte':
    case 'semver_lt':
    case 'semver_lte':
      return anyElement(attribute, semverTest(clause));
    case 'before':
    case 'after':
      return anyElement(attribute, dateTest(clause));
    case 'in_cidr':
      return anyElement(attribute, cidrTest(clause));
    default:
      throw new RuleCompileError(`unknown operator ${String(op)}`);
  }
}

/** Segment keys a condition refers to (for "segment still referenced" checks). */
export function segmentKeysOf(condition: Condition, into = new Set<string>()): Set<string> {
  if ('all' in condition) condition.all.forEach((c) => segmentKeysOf(c, into));
  else if ('any' in condition) condition.any.forEach((c) => segmentKeysOf(c, into));
  else if ('not' in condition) segmentKeysOf(condition.not, into);
  else if (condition.op === 'in_segment' || condition.op === 'not_in_segment') {
    for (const key of condition.values) if (typeof key === 'string') into.add(key);
  }
  return into;
}
