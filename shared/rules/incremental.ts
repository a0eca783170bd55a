import {
  compileExperiments,
  compileSegment,
  compiledRuleset,
  errorResult,
  flagInfo,
  lazyFlag,
  prerequisiteEdges,
  segmentLookup,
  type CompiledFlag,
  type CompiledRuleset,
  type FlagInfo,
} from './compile';
import type { CompiledExperiment } from './experiments';
import { Layered } from './layered';
import type { AttributeGetter } from './attributes';
import type { ConditionEnvironment, RuleCompileError, SegmentMembership } from './operators';
import { prerequisiteDepths, prerequisiteProblem, type CycleReached } from './prerequisites';
import type { EvaluationResult, RulesetExperiment, RulesetFlag, RulesetLayer, RulesetSegment } from './types';

/**
 * A ruleset kept up to date change by change (issue 17, goal 1), for instances that hold tens of thousands of
 * flags: applying a revision's changes replaces only the flags they affect, and a flag is compiled on its
 * first evaluation, not when it arrives. What a change affects:
 *
 * - a flag: itself (flags that name it as a prerequisite look it up when evaluated, so they stay);
 * - a segment: the flags whose rules name it, and the running experiments when one of them names it;
 * - an experiment or a layer: every running experiment is recompiled (there are few), and the flags served by
 *   an experiment whose compiled form changed;
 * - a prerequisite edge (a flag added, removed, enabled or disabled, or its prerequisites changed): the
 *   prerequisite statuses (cycles, chains too deep) of that flag and of the flags that reach it are recomputed
 *   (a flag's status depends only on what it reaches), and the flags whose status changed are replaced.
 *
 * Every revision is a new CompiledRuleset over its own flag table (the previous one with the affected
 * flags replaced): a request that holds the previous revision keeps evaluating it unchanged. Results equal
 * `compileRuleset` of the same revision's document, flags in key order (test/unit/rules/incremental.test.ts).
 */

/**
 * A flag or segment definition. With `reload`, the engine keeps only `reload` and reads the definition again when
 * it compiles. `value` is read once per apply (it may be a getter that parses).
 */
export interface Entry<T> {
  readonly value: T;
  readonly reload?: () => T;
}

/** One revision's changes by key; null deletes. */
export interface RulesetChanges {
  readonly flags?: ReadonlyMap<string, Entry<RulesetFlag> | null>;
  readonly segments?: ReadonlyMap<string, Entry<RulesetSegment> | null>;
  readonly experiments?: ReadonlyMap<string, RulesetExperiment | null>;
  readonly layers?: ReadonlyMap<string, RulesetLayer | null>;
}

/** Lets a long apply give the event loop back: `due()` says when, `pause()` yields. */
export interface Slicer {
  due(): boolean;
  pause(): Promise<void>;
}

const UNSLICED: Slicer = { due: () => false, pause: () => Promise.resolve() };

const NO_SEGMENTS: ReadonlyMap<string, SegmentRecord | undefined> = new Map();
const NONE: readonly never[] = Object.freeze([]);
/** An empty list as the one shared empty list: tens of thousands of flags keep theirs. */
const orNone = <T>(list: readonly T[]): readonly T[] => (list.length === 0 ? NONE : list);

interface FlagRecord {
  readonly info: FlagInfo;
  readonly definition: () => RulesetFlag;
  readonly segments: readonly string[];
  readonly edges: readonly { readonly flagKey: string }[];
}

interface SegmentRecord {
  readonly definition: () => RulesetSegment;
  membership: SegmentMembership | RuleCompileError | undefined;
}

type Experiments = { byKey: Map<string, CompiledExperiment>; byFlag: Map<string, CompiledExperiment> };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * Every segment key a structure names in an `in_segment`/`not_in_segment` clause, wherever it sits: a superset of
 * what compiling it can ask for, so a flag is always replaced when a segment it uses changes.
 */
export function segmentReferences(root: unknown, into = new Set<string>()): Set<string> {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) stack.push(item);
    } else if (isObject(node)) {
      if ((node.op === 'in_segment' || node.op === 'not_in_segment') && Array.isArray(node.values)) {
        for (const key of node.values as unknown[]) if (typeof key === 'string') into.add(key);
      }
      for (const value of Object.values(node)) if (typeof value === 'object') stack.push(value);
    }
  }
  return into;
}

function membershipOf(record: SegmentRecord): SegmentMembership | RuleCompileError {
  record.membership ??= compileSegment(record.definition());
  return record.membership;
}

function definitionOf<T>(entry: Entry<T>): () => T {
  if (entry.reload !== undefined) return entry.reload;
  const value = entry.value;
  return () => value;
}

const sameInfo = (info: FlagInfo, flag: RulesetFlag) =>
  info.key === flag.key && info.kind === flag.kind && info.clientSide === (flag.clientSide === true);

/** `key` out of `index`'s set for `at`, and the set out of the index once empty (keys come and go for good). */
function forget(index: Map<string, Set<string>>, at: string, key: string): void {
  const set = index.get(at);
  if (set === undefined) return;
  set.delete(key);
  if (set.size === 0) index.delete(at);
}

const sameEdges = (a: FlagRecord['edges'], b: FlagRecord['edges']) =>
  a.length === b.length && a.every((edge, i) => edge.flagKey === b[i]!.flagKey);

export class IncrementalRuleset {
  private readonly flags = new Map<string, FlagRecord>();
  private readonly segments = new Map<string, SegmentRecord>();
  private readonly experimentDefs = new Map<string, RulesetExperiment>();
  private readonly layerDefs = new Map<string, RulesetLayer>();
  /** segment key → flags whose rules name it (whether or not the segment exists). */
  private readonly dependents = new Map<string, Set<string>>();
  /** Segments named by running experiments. */
  private experimentSegments = new Set<string>();
  /** Flags with prerequisite edges. */
  private readonly withEdges = new Set<string>();
  /** flag key → flags with an edge to it (whether or not it exists). */
  private readonly requiredBy = new Map<string, Set<string>>();
  /** The longest prerequisite chain below each flag with edges (Infinity: it reaches a cycle). */
  private readonly depths = new Map<string, number>();
  /** Flags that cannot be evaluated because of their prerequisites, with their answer. */
  private readonly statuses = new Map<string, EvaluationResult>();
  private experiments: Experiments = { byKey: new Map(), byFlag: new Map() };
  private readonly getters = new Map<string, AttributeGetter>();
  private table = Layered.empty<CompiledFlag>();
  /** Flag keys in key order (the ruleset document's order). */
  private order: string[] = [];
  private snapshot: CompiledRuleset = compiledRuleset(0, new Map(), Object.freeze([]), new Map());

  get current(): CompiledRuleset {
    return this.snapshot;
  }

  /** Flag keys in key order (the order of the ruleset document). */
  get flagKeys(): readonly string[] {
    return this.order;
  }

  /**
   * Apply one revision's changes (or several revisions' merged changes: the last value of each key) and
   * return the new revision. Flags whose holder was replaced are counted in `replaced`.
   */
  async apply(
    revision: number,
    changes: RulesetChanges,
    slicer: Slicer = UNSLICED,
  ): Promise<{ ruleset: CompiledRuleset; replaced: number }> {
    const tick = async () => {
      if (slicer.due()) await slicer.pause();
    };
    const replacements = new Map<string, CompiledFlag | null>();
    const stale = new Set<string>();
    let experimentsChanged = (changes.experiments?.size ?? 0) > 0 || (changes.layers?.size ?? 0) > 0;
    /** Flags whose edges changed, or which came or went (the edges to them count from then on, or no more). */
    const touched = new Set<string>();
    const added: string[] = [];
    const removed = new Set<string>();

    for (const [key, entry] of changes.segments ?? []) {
      if (entry === null) this.segments.delete(key);
      else this.segments.set(key, { definition: definitionOf(entry), membership: undefined });
      for (const flag of this.dependents.get(key) ?? []) stale.add(flag);
      if (this.experimentSegments.has(key)) experimentsChanged = true;
      await tick();
    }
    for (const [key, experiment] of changes.experiments ?? []) {
      if (experiment === null) this.experimentDefs.delete(key);
      else this.experimentDefs.set(key, experiment);
    }
    for (const [key, layer] of changes.layers ?? []) {
      if (layer === null) this.layerDefs.delete(key);
      else this.layerDefs.set(key, layer);
    }
    for (const [key, entry] of changes.flags ?? []) {
      const previous = this.flags.get(key);
      if (previous !== undefined) {
        for (const segment of previous.segments) forget(this.dependents, segment, key);
        for (const edge of previous.edges) forget(this.requiredBy, edge.flagKey, key);
        this.withEdges.delete(key);
      }
      if (entry === null) {
        if (previous === undefined) continue;
        this.flags.delete(key);
        replacements.set(key, null);
        stale.delete(key);
        removed.add(key);
        touched.add(key);
        continue;
      }
      // Read once: an entry may parse its value on each read, and only these facts of it are kept.
      const value = entry.value;
      const record: FlagRecord = {
        info: previous !== undefined && sameInfo(previous.info, value) ? previous.info : flagInfo(value),
        definition: definitionOf(entry),
        segments: orNone([...segmentReferences(value.rules)]),
        edges: orNone(prerequisiteEdges(value).map((p) => ({ flagKey: p.flagKey }))),
      };
      this.flags.set(key, record);
      for (const segment of record.segments) {
        let set = this.dependents.get(segment);
        if (set === undefined) this.dependents.set(segment, (set = new Set()));
        set.add(key);
      }
      for (const edge of record.edges) {
        let set = this.requiredBy.get(edge.flagKey);
        if (set === undefined) this.requiredBy.set(edge.flagKey, (set = new Set()));
        set.add(key);
      }
      if (record.edges.length > 0) this.withEdges.add(key);
      if (previous === undefined) added.push(key);
      if (previous === undefined || !sameEdges(previous.edges, record.edges)) touched.add(key);
      stale.add(key);
      await tick();
    }

    if (touched.size > 0) await this.updateStatuses(touched, stale, tick);

    if (experimentsChanged) {
      const running = [...this.experimentDefs.keys()].sort().map((k) => this.experimentDefs.get(k)!);
      this.experimentSegments = segmentReferences(running.map((e) => e.conditions));
      const env: ConditionEnvironment = {
        segment: segmentLookup((k) => {
          const record = this.segments.get(k);
          return record === undefined ? undefined : membershipOf(record);
        }),
        getters: this.getters,
      };
      const next = compileExperiments(running, [...this.layerDefs.values()], env);
      for (const key of new Set([...this.experiments.byFlag.keys(), ...next.byFlag.keys()])) {
        if (this.experiments.byFlag.get(key) !== next.byFlag.get(key) && this.flags.has(key)) stale.add(key);
      }
      this.experiments = next;
    }

    for (const key of stale) {
      const record = this.flags.get(key);
      if (record !== undefined) replacements.set(key, this.holder(key, record));
      await tick();
    }

    if (added.length > 0 || removed.size > 0) {
      if (added.length > 64) {
        this.order = await sortedInSlices([...this.flags.keys()], tick);
      } else {
        if (removed.size > 0) this.order = this.order.filter((k) => !removed.has(k));
        for (const key of added) this.order.splice(insertionPoint(this.order, key), 0, key);
      }
    }
    const table = await this.table.with(replacements, tick);
    // Infos change with the flags present, or a flag's kind or client-side visibility.
    const infosChanged =
      added.length > 0 ||
      removed.size > 0 ||
      [...stale].some((k) => this.table.get(k)?.info !== table.get(k)?.info);
    const infos = infosChanged
      ? Object.freeze(this.order.map((k) => table.get(k)!.info))
      : this.snapshot.flags;
    this.table = table;
    this.snapshot = compiledRuleset(revision, table, infos, this.experiments.byKey);
    return { ruleset: this.snapshot, replaced: stale.size };
  }

  /**
   * The prerequisite statuses of the `touched` flags and every flag that reaches one — no other flag's can change
   * — with the depths kept for the rest; flags whose status changed go to `stale`.
   */
  private async updateStatuses(
    touched: ReadonlySet<string>,
    stale: Set<string>,
    tick: () => Promise<void>,
  ): Promise<void> {
    const affected = new Set(touched);
    const queue = [...touched];
    while (queue.length > 0) {
      for (const parent of this.requiredBy.get(queue.pop()!) ?? []) {
        if (!affected.has(parent)) {
          affected.add(parent);
          queue.push(parent);
        }
      }
    }
    const edgesOf = (key: string) => this.flags.get(key)?.edges;
    const known = (key: string) => (affected.has(key) ? undefined : this.depths.get(key));
    const depths = new Map<string, number>();
    const keys = [...affected];
    for (let i = 0; i < keys.length; i += 1024) {
      prerequisiteDepths(keys.slice(i, i + 1024), edgesOf, known, depths);
      await tick();
    }
    const depthOf = (key: string) => depths.get(key) ?? this.depths.get(key);
    const reached = new Map<string, CycleReached>();
    for (const [i, key] of keys.entries()) {
      if (i % 1024 === 1023) await tick();
      if (this.withEdges.has(key)) this.depths.set(key, depths.get(key)!);
      else this.depths.delete(key);
      const problem = this.flags.has(key) ? prerequisiteProblem(key, edgesOf, depthOf, reached) : undefined;
      if (problem === this.statuses.get(key)?.errorMessage) continue;
      if (problem === undefined) this.statuses.delete(key);
      else this.statuses.set(key, errorResult(key, 'GENERAL', problem));
      if (this.flags.has(key)) stale.add(key);
    }
  }

  /** A flag of this revision: the segments and the experiment it uses are those of this revision. */
  private holder(key: string, record: FlagRecord): CompiledFlag {
    // Most flags use no segment: no map of their own (one per flag is ~0.3 KB at 50 000 flags).
    const segments =
      record.segments.length === 0
        ? NO_SEGMENTS
        : new Map(record.segments.map((segment) => [segment, this.segments.get(segment)] as const));
    const experiment = this.experiments.byFlag.get(key);
    const getters = this.getters;
    return lazyFlag(record.info, this.statuses.get(key), () => ({
      flag: record.definition(),
      env: {
        segment: segmentLookup((k) => {
          const found = segments.get(k);
          return found === undefined ? undefined : membershipOf(found);
        }),
        getters,
      },
      experiment,
    }));
  }
}

/**
 * `keys` sorted, in slices: runs of 2 048 sorted one at a time, then merged pairwise, with `tick` between steps
 * (sorting 50 000 keys at once held the event loop ~30–40 ms here).
 */
async function sortedInSlices(keys: string[], tick: () => Promise<void>): Promise<string[]> {
  let runs: string[][] = [];
  for (let i = 0; i < keys.length; i += 2048) {
    runs.push(keys.slice(i, i + 2048).sort());
    await tick();
  }
  while (runs.length > 1) {
    const merged: string[][] = [];
    for (let i = 0; i < runs.length; i += 2) {
      const a = runs[i]!;
      const b = runs[i + 1];
      if (b === undefined) {
        merged.push(a);
        continue;
      }
      const out = new Array<string>(a.length + b.length);
      let x = 0;
      let y = 0;
      let o = 0;
      while (x < a.length && y < b.length) out[o++] = a[x]! <= b[y]! ? a[x++]! : b[y++]!;
      while (x < a.length) out[o++] = a[x++]!;
      while (y < b.length) out[o++] = b[y++]!;
      merged.push(out);
      await tick();
    }
    runs = merged;
  }
  return runs[0] ?? [];
}

function insertionPoint(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}
