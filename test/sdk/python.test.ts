import { spawn } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { scaledMs, timeScale } from '../../local/timing';
import { compileRuleset } from '../../shared/rules';
import type { EvaluationResult, Ruleset } from '../../shared/rules';
import { requireEngines } from '../support/engines';
import assignmentVectors from '../vectors/assignments.json';
import evaluationVectors from '../vectors/evaluation.json';

/**
 * The Python SDK (sdk/python, issue 14): its own unittest suite — the three vector files, the engine's traps,
 * the client against a fake API, packaging with the standard library — and a comparison of its engine with the
 * TypeScript one on generated contexts and regexes, beyond what the vectors hold.
 */
const engines = requireEngines(['python']);
const ROOT = join(__dirname, '..', '..');
const SDK = join(ROOT, 'sdk', 'python');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function python(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: ROOT,
      // The Python tests stretch their waits by the run's time scale, as scaledMs does here.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', SWITCHYARD_TIME_SCALE: String(timeScale()) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function differential<T>(request: unknown): Promise<T> {
  const run = await python([join(SDK, 'tests', 'differential.py')], JSON.stringify(request));
  if (run.code !== 0) throw new Error(`differential.py failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

type Comparable = Omit<EvaluationResult, 'errorMessage'>;
const comparable = ({ errorMessage: _message, ...rest }: EvaluationResult): Comparable => rest;

/** Every clause of a ruleset: the attributes and values contexts are built from. */
function clausesOf(node: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) node.forEach((child) => clausesOf(child, out));
  else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (typeof record.op === 'string') out.push(record);
    Object.values(record).forEach((child) => clausesOf(child, out));
  }
  return out;
}

/**
 * Contexts aimed at the ruleset: its attributes (nested paths as objects), holding its own clause values, near
 * misses of them (case, affixes, ±1), other types, arrays and nulls, plus unit ids of every kind. Generated once
 * with a seed, then sent through JSON, so both engines read the same values.
 */
function contextsFor(ruleset: unknown, extraPaths: string[], count: number, seed: number): unknown[] {
  const clauses = clausesOf(ruleset);
  const paths = [
    ...new Set([
      ...clauses.map((c) => c.attribute).filter((a): a is string => typeof a === 'string'),
      'targetingKey',
      'userId',
      ...extraPaths,
    ]),
  ];
  const pool = [
    ...new Set(clauses.flatMap((c) => (Array.isArray(c.values) ? (c.values as unknown[]) : []))),
  ].filter((v) => ['string', 'number', 'boolean'].includes(typeof v));
  const near = (v: unknown): unknown[] =>
    typeof v === 'string'
      ? [v.toUpperCase(), v.toLowerCase(), `x${v}`, `${v}x`, v.slice(1), `${v}\n`]
      : typeof v === 'number'
        ? [v - 1, v + 1, v + 0.5, -v, String(v)]
        : [String(v), v ? 1 : 0];
  const scalar = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool) },
    { weight: 4, arbitrary: fc.constantFrom(...pool.flatMap(near)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 100_000 }) },
    { weight: 1, arbitrary: fc.double({ noNaN: true }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(true, false, null, 2 ** 53, 2 ** 53 - 1, 0.1, -0, '', 'ünïcødé', '😀'),
    },
  );
  const value = fc.oneof(
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('id', 'os', 'x'), scalar, { maxKeys: 2 }) },
  );
  const context = fc.dictionary(fc.constantFrom(...paths), value, { maxKeys: 8 }).map((flat) => {
    const nested: Record<string, unknown> = {};
    for (const [path, v] of Object.entries(flat)) {
      const segments = path.split('.');
      let target = nested;
      for (const segment of segments.slice(0, -1)) {
        const next = target[segment];
        target = (
          typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (target[segment] = {})
        ) as Record<string, unknown>;
      }
      target[segments[segments.length - 1]!] = v;
    }
    return nested;
  });
  const odd = fc.constantFrom<unknown>(null, [], 'user', 42, {});
  const all = fc.oneof({ weight: 30, arbitrary: context }, { weight: 1, arbitrary: odd });
  return JSON.parse(JSON.stringify(fc.sample(all, { numRuns: count, seed }))) as unknown[];
}

engines.describe('Python SDK (sdk/python)', () => {
  it(
    'passes its unittest suite: the three vector files, the engine, the client against a fake API, packaging',
    async () => {
      const run = await python([
        '-m',
        'unittest',
        'discover',
        '-s',
        join(SDK, 'tests'),
        '-t',
        join(SDK, 'tests'),
      ]);
      // unittest reports on stderr; the tail says which tests failed and why.
      expect({ code: run.code, tail: run.code === 0 ? '' : run.stderr.slice(-8000) }).toEqual({
        code: 0,
        tail: '',
      });
      expect(run.stderr).toMatch(/^Ran \d+ tests/m);
      const skipped = run.stderr.match(/SKIPPED: [^\n']*/g) ?? [];
      if (skipped.length > 0) console.warn(`Python SDK tests skipped:\n${skipped.join('\n')}`);
    },
    scaledMs(180_000),
  );

  it('evaluates like the TypeScript engine: 3 000 generated contexts over every operator of the vectors', async () => {
    const ruleset = evaluationVectors.ruleset as unknown as Ruleset;
    const engine = compileRuleset(ruleset);
    const contexts = contextsFor(ruleset, ['companyId', 'device.os', 'account.id'], 3000, 14);
    const { evaluate } = await differential<{ evaluate: Comparable[][] }>({
      evaluate: { ruleset, contexts },
    });
    const mismatches = contexts.flatMap((context, i) => {
      const expected = engine.evaluateAll(context).map(comparable);
      return expected.flatMap((want, j) =>
        JSON.stringify(want) === JSON.stringify(evaluate[i]![j])
          ? []
          : [{ context, want, got: evaluate[i]![j] }],
      );
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    const reasons = new Set(evaluate.flat().map((r) => r.reason));
    expect([...reasons].sort()).toEqual([
      'DEFAULT',
      'DISABLED',
      'ERROR',
      'PREREQUISITE_FAILED',
      'SPLIT',
      'TARGETING_MATCH',
    ]);
  });

  it('assigns like the TypeScript engine: 2 000 generated contexts over the assignment vectors', async () => {
    const ruleset = assignmentVectors.ruleset as unknown as Ruleset;
    const engine = compileRuleset(ruleset);
    const contexts = contextsFor(
      ruleset,
      ['deviceId', 'account.id', 'country', 'plan', 'platform'],
      2000,
      15,
    );
    const { assign } = await differential<{ assign: { assignments: unknown[]; flags: Comparable[] }[] }>({
      assign: { ruleset, contexts },
    });
    const mismatches = contexts.flatMap((context, i) => {
      const want = {
        assignments: engine.assign(context),
        flags: engine.evaluateAll(context).map(comparable),
      };
      return JSON.stringify(want) === JSON.stringify(assign[i]) ? [] : [{ context, want, got: assign[i] }];
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
    const reasons = new Set(
      assign.flatMap((a) => a.assignments.map((x) => (x as { reason: string }).reason)),
    );
    expect(reasons.size).toBeGreaterThanOrEqual(5);
  });

  it('runs ECMAScript regexes as JavaScript does (unicode mode, with and without i)', async () => {
    const patterns = [
      '^[a-z]+@example\\.com$',
      '\\d+',
      '^\\d{3}-\\d{4}$',
      '^\\w+$',
      '\\W',
      '\\s',
      '^\\S+$',
      '\\bcat\\b',
      '\\Bat',
      'a.c',
      '^.$',
      'end$',
      '^(?:com|org|net)$',
      '(?<word>[a-z]+)-\\k<word>',
      '(?<=\\$)\\d+(?:\\.\\d\\d)?',
      '(?<!no-)beta',
      'colou?r',
      'x{2,3}',
      '[^\\d\\s]+',
      '[\\D]',
      '[^\\W_]+',
      '[\\w-]+\\.json$',
      '\\p{L}+',
      '^\\p{Lu}',
      '\\P{L}',
      '\\p{N}',
      '[\\p{L}\\p{N}_]+$',
      '\\u{1F600}',
      '\\u00e9',
      '\\uD83D\\uDE00',
      '[\\u0400-\\u04FF]+',
      '^[Σσς]+$',
      'straße',
      'ǅ',
      '\\x41',
      '\\cJ',
      '\\0',
      '[\\b]',
      '[\\-.]',
      '\\/api\\/v\\d+',
      '^(a|b)*c$',
      '[^]',
      '^[]',
      '(?:)',
      '^$',
      '\\t|\\n|\\v|\\f|\\r',
    ];
    const fixed = [
      '',
      'abc',
      'ABC',
      'user@example.com',
      'USER@EXAMPLE.COM',
      '555-1234',
      '١٢٣',
      '１２３',
      'café',
      'CAFÉ',
      'naïve',
      'Ωmega',
      'ΣΊΣΥΦΟΣ',
      'σίσυφος',
      'ς',
      'STRASSE',
      'straße',
      'ǆ',
      'Ǆ',
      'ǅ',
      'a\nc',
      'a\rc',
      'a\u2028c',
      'a\u0085c',
      'a c',
      'a\u00a0c',
      'a\ufeffc',
      'cat',
      'concat',
      'the cat sat',
      'écat',
      'price $42.50',
      'no-beta',
      'beta',
      'color',
      'colour',
      'xxx',
      'abab',
      'ab-ab',
      'word-word',
      'file.json',
      'my-file.json',
      '/api/v2/users',
      '😀',
      'x😀y',
      'Привет',
      '\t',
      '\u000b',
      '\u0000',
      '\b',
      'end',
      'end\n',
      'aabbc',
      'k',
      'K',
      '\u212a',
      'ſ',
      's',
      'İ',
      'ı',
      'i',
    ];
    const random = fc.sample(fc.string({ unit: 'grapheme', maxLength: 8 }), { numRuns: 150, seed: 16 });
    const texts = [...fixed, ...random];
    const { regex, unassigned } = await differential<{
      regex: Record<'u' | 'iu', boolean[] | 'unsupported'>[];
      unassigned: boolean[];
    }>({ regex: { patterns, texts } });
    const mismatches: unknown[] = [];
    const known = new Set<string>();
    let compared = 0;
    patterns.forEach((pattern, i) => {
      for (const flags of ['u', 'iu'] as const) {
        const re = new RegExp(pattern, flags);
        const got = regex[i]![flags];
        texts.forEach((text, j) => {
          const want = re.test(text);
          const answer = got === 'unsupported' ? got : got[j];
          compared++;
          if (answer === want) return;
          // The two differences sdk/python/README.md states: characters newer than this Python's Unicode
          // database, and Python's case-insensitive `İ`/`ı` ≈ `i`/`I` (JavaScript's simple case folding has none).
          if (unassigned[j]) known.add('unicode version');
          else if (flags === 'iu' && /[İı]/u.test(text)) known.add('dotted and dotless i');
          else mismatches.push({ pattern, flags, text, want, got: answer });
        });
      }
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(15_000);
    expect([...known].filter((k) => k !== 'unicode version')).toEqual(['dotted and dotless i']);
  });
});
