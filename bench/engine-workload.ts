/**
 * The engine benchmark's workload, described once and translated for each library so that every engine
 * answers the same question: 100 boolean flags, each with 3 targeting rules serving `on` (one clause each,
 * operators rotating over eq, in, numeric gt, semver gt, contains and a nested attribute) and a fallthrough
 * that rolls `on` out to 30% of units; 100 000 users with 10 attributes.
 */
import type { Condition, Ruleset, RulesetFlag } from '../shared/rules/types';

export const FLAG_COUNT = 100;
export const USER_COUNT = 100_000;
export const ROLLOUT_PERCENT = 30;

export interface User {
  targetingKey: string;
  email: string;
  plan: string;
  country: string;
  age: number;
  sessions: number;
  appVersion: string;
  device: { os: string; model: string };
  beta: boolean;
  company: string;
}

/** One targeting rule, library-neutral. */
export type RuleSpec =
  | { kind: 'eq'; attribute: 'plan' | 'company'; value: string }
  | { kind: 'in'; attribute: 'country'; values: string[] }
  | { kind: 'gt'; attribute: 'age' | 'sessions'; value: number }
  | { kind: 'semver_gt'; attribute: 'appVersion'; value: string }
  | { kind: 'contains'; attribute: 'email'; value: string }
  | { kind: 'nested_eq'; attribute: 'device.os'; value: string };

export interface FlagSpec {
  key: string;
  rules: [RuleSpec, RuleSpec, RuleSpec];
}

const PLANS = ['free', 'starter', 'pro', 'business', 'enterprise'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'AU', 'NL', 'ES', 'IT'];
const OSES = ['ios', 'android', 'windows', 'macos', 'linux'];
const DOMAINS = ['example.com', 'corp.example', 'mail.test', 'acme.io', 'globex.net'];
const COMPANIES = Array.from({ length: 40 }, (_, i) => `company-${i}`);

/** mulberry32: a tiny seeded PRNG, so every run builds the same users. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

export function buildUsers(count = USER_COUNT, seed = 42): User[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => ({
    targetingKey: `user-${i.toString(36)}-${Math.floor(random() * 1e9).toString(36)}`,
    email: `u${i}@${pick(random, DOMAINS)}`,
    plan: pick(random, PLANS),
    country: pick(random, COUNTRIES),
    age: 18 + Math.floor(random() * 60),
    sessions: Math.floor(random() * 500),
    appVersion: `${1 + Math.floor(random() * 4)}.${Math.floor(random() * 10)}.${Math.floor(random() * 20)}`,
    device: { os: pick(random, OSES), model: `m${Math.floor(random() * 100)}` },
    beta: random() < 0.1,
    company: pick(random, COMPANIES),
  }));
}

function ruleFor(flag: number, slot: number): RuleSpec {
  const n = flag * 3 + slot;
  switch (n % 6) {
    case 0:
      return n % 12 === 0
        ? { kind: 'eq', attribute: 'plan', value: PLANS[flag % PLANS.length]! }
        : { kind: 'eq', attribute: 'company', value: COMPANIES[flag % COMPANIES.length]! };
    case 1:
      return {
        kind: 'in',
        attribute: 'country',
        values: [COUNTRIES[flag % 12]!, COUNTRIES[(flag + 5) % 12]!],
      };
    case 2:
      return n % 4 === 0
        ? { kind: 'gt', attribute: 'age', value: 60 + (flag % 15) }
        : { kind: 'gt', attribute: 'sessions', value: 400 + (flag % 90) };
    case 3:
      return { kind: 'semver_gt', attribute: 'appVersion', value: `4.${flag % 10}.${flag % 7}` };
    case 4:
      return {
        kind: 'contains',
        attribute: 'email',
        value: `@${DOMAINS[flag % DOMAINS.length]!.slice(0, 6)}`,
      };
    default:
      return { kind: 'nested_eq', attribute: 'device.os', value: OSES[flag % OSES.length]! };
  }
}

export function buildFlagSpecs(count = FLAG_COUNT): FlagSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `bench-flag-${i}`,
    rules: [ruleFor(i, 0), ruleFor(i, 1), ruleFor(i, 2)],
  }));
}

// ---- Switchyard ----------------------------------------------------------------------------------------

function switchyardCondition(rule: RuleSpec): Condition {
  switch (rule.kind) {
    case 'eq':
      return { attribute: rule.attribute, op: 'eq', values: [rule.value] };
    case 'in':
      return { attribute: rule.attribute, op: 'in', values: rule.values };
    case 'gt':
      return { attribute: rule.attribute, op: 'gt', values: [rule.value] };
    case 'semver_gt':
      return { attribute: rule.attribute, op: 'semver_gt', values: [rule.value] };
    case 'contains':
      return { attribute: rule.attribute, op: 'contains', values: [rule.value] };
    case 'nested_eq':
      return { attribute: rule.attribute, op: 'eq', values: [rule.value] };
  }
}

export function switchyardRuleset(specs: readonly FlagSpec[]): Ruleset {
  const weight = ROLLOUT_PERCENT * 100;
  const flags: RulesetFlag[] = specs.map((spec) => ({
    key: spec.key,
    kind: 'boolean',
    variations: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    enabled: true,
    offVariation: 'off',
    rules: spec.rules.map((rule, i) => ({
      id: `rule-${i}`,
      conditions: switchyardCondition(rule),
      serve: { variation: 'on' },
    })),
    fallthrough: {
      allocations: [
        { variation: 'on', weight },
        { variation: 'off', weight: 10_000 - weight },
      ],
    },
  }));
  return { revision: 1, hashVersion: 1, flags, segments: [] };
}

// ---- GrowthBook ----------------------------------------------------------------------------------------

function growthBookCondition(rule: RuleSpec): Record<string, unknown> {
  switch (rule.kind) {
    case 'eq':
    case 'nested_eq':
      return { [rule.attribute]: rule.value };
    case 'in':
      return { [rule.attribute]: { $in: rule.values } };
    case 'gt':
      return { [rule.attribute]: { $gt: rule.value } };
    case 'semver_gt':
      return { [rule.attribute]: { $vgt: rule.value } };
    case 'contains':
      // GrowthBook has no substring operator: an escaped regex is the nearest.
      return { [rule.attribute]: { $regex: rule.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') } };
  }
}

export function growthBookFeatures(specs: readonly FlagSpec[]): Record<string, unknown> {
  return Object.fromEntries(
    specs.map((spec) => [
      spec.key,
      {
        defaultValue: false,
        rules: [
          ...spec.rules.map((rule, i) => ({
            id: `rule-${i}`,
            condition: growthBookCondition(rule),
            force: true,
          })),
          { id: 'rollout', force: true, coverage: ROLLOUT_PERCENT / 100, hashAttribute: 'targetingKey' },
        ],
      },
    ]),
  );
}

// ---- Unleash -------------------------------------------------------------------------------------------

function unleashConstraint(rule: RuleSpec): Record<string, unknown> {
  switch (rule.kind) {
    case 'eq':
    case 'nested_eq':
      return { contextName: rule.attribute, operator: 'IN', values: [rule.value] };
    case 'in':
      return { contextName: rule.attribute, operator: 'IN', values: rule.values };
    case 'gt':
      return { contextName: rule.attribute, operator: 'NUM_GT', value: String(rule.value) };
    case 'semver_gt':
      return { contextName: rule.attribute, operator: 'SEMVER_GT', value: rule.value };
    case 'contains':
      return { contextName: rule.attribute, operator: 'STR_CONTAINS', values: [rule.value] };
  }
}

export function unleashFeatures(specs: readonly FlagSpec[]): Record<string, unknown>[] {
  return specs.map((spec) => ({
    name: spec.key,
    enabled: true,
    type: 'release',
    project: 'default',
    stale: false,
    variants: [],
    strategies: [
      ...spec.rules.map((rule) => ({
        name: 'flexibleRollout',
        parameters: { rollout: '100', stickiness: 'default', groupId: spec.key },
        constraints: [unleashConstraint(rule)],
      })),
      {
        name: 'flexibleRollout',
        parameters: { rollout: String(ROLLOUT_PERCENT), stickiness: 'default', groupId: spec.key },
        constraints: [],
      },
    ],
  }));
}

/** Unleash contexts are flat string properties: the nested `device.os` becomes a property named so. */
export function unleashContext(user: User): Record<string, unknown> {
  return {
    userId: user.targetingKey,
    properties: {
      email: user.email,
      plan: user.plan,
      country: user.country,
      age: String(user.age),
      sessions: String(user.sessions),
      appVersion: user.appVersion,
      'device.os': user.device.os,
      'device.model': user.device.model,
      beta: String(user.beta),
      company: user.company,
    },
  };
}

// ---- JsonLogic (flagd-core and json-logic-js) ----------------------------------------------------------

function jsonLogicCondition(rule: RuleSpec): Record<string, unknown> {
  const variable = { var: rule.attribute };
  switch (rule.kind) {
    case 'eq':
    case 'nested_eq':
      return { '==': [variable, rule.value] };
    case 'in':
      return { in: [variable, rule.values] };
    case 'gt':
      return { '>': [variable, rule.value] };
    case 'semver_gt':
      return { sem_ver: [variable, '>', rule.value] };
    case 'contains':
      return { in: [rule.value, variable] };
  }
}

/**
 * `if` chain of the three rules, then a fractional 30/70 split (flagd's `fractional`). `bucketingKey` is an
 * optional leading argument naming the unit explicitly (json-logic-js operations do not see the data).
 */
export function jsonLogicTargeting(spec: FlagSpec, bucketingKey: unknown[] = []): Record<string, unknown> {
  return {
    if: [
      ...spec.rules.flatMap((rule) => [jsonLogicCondition(rule), 'on']),
      {
        fractional: [...bucketingKey, ['on', ROLLOUT_PERCENT], ['off', 100 - ROLLOUT_PERCENT]],
      },
    ],
  };
}

export function flagdConfiguration(specs: readonly FlagSpec[]): string {
  return JSON.stringify({
    flags: Object.fromEntries(
      specs.map((spec) => [
        spec.key,
        {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: jsonLogicTargeting(spec),
        },
      ]),
    ),
  });
}
