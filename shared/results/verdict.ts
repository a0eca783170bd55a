import type { AnalysisSettings } from '../experiments/analysis';
import type { Plan } from '../experiments/planning';
import type { MetricRole } from '../experiments/schema';
import type { Interval } from '../stats';
import type { Outcome } from './decisions';

export const VERDICT_STATUSES = [
  'NO_DATA',
  'SAMPLE_RATIO_MISMATCH',
  'GUARDRAIL_HARM',
  'IN_PROGRESS',
  'WINNER',
  'LOSER',
  'INCONCLUSIVE',
] as const;

export interface ArmOnMetric {
  readonly variant: string;
  readonly metricKey: string;
}

/** One sentence an analyst can act on, and the arms it is about. */
export interface Verdict {
  readonly status: (typeof VERDICT_STATUSES)[number];
  readonly message: string;
  /** WINNER: the arms that beat the control on the primary metric, best first. */
  readonly winners?: readonly string[];
  /** WINNER, LOSER: the arms significantly worse than the control on the primary metric. */
  readonly worse?: readonly ArmOnMetric[];
  /** GUARDRAIL_HARM: each arm and guardrail it significantly harms. */
  readonly harms?: readonly ArmOnMetric[];
}

/** What the verdict reads of a comparison (shared/results/service.ts builds them). */
interface ComparisonFigures {
  readonly variant: string;
  readonly absoluteEffect: number | null;
  readonly relativeEffect: number | null;
  readonly relativeCI: Interval | null;
  readonly confidenceSequence: Interval | null;
  readonly pValue: number | null;
  readonly alwaysValidPValue: number | null;
  readonly harmPValue: number | null;
  readonly adjustedPValue: number | null;
  readonly outcome: Outcome;
}

interface MetricFigures {
  readonly metricKey: string;
  readonly name: string;
  readonly type: string;
  readonly role: MetricRole;
  readonly comparisons: readonly ComparisonFigures[];
}

export interface VerdictInput {
  readonly variants: readonly { readonly key: string; readonly units: number }[];
  readonly srm: { readonly pValue: number; readonly mismatch: boolean };
  readonly metrics: readonly MetricFigures[];
  readonly settings: AnalysisSettings;
  readonly plan: Plan | null;
}

const percent = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pValueText = (p: number | null) => (p === null ? 'n/a' : p < 0.0001 ? '< 0.0001' : p.toFixed(4));
const number = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3);
const days = (d: number) => (d < 1 ? `${Math.max(1, Math.round(d * 24))} h` : `${d.toFixed(1)} days`);

/**
 * The verdict, in this order: no exposures → NO_DATA; a sample ratio mismatch → SAMPLE_RATIO_MISMATCH (nothing
 * else can be trusted); any arm significantly harming a guardrail → GUARDRAIL_HARM (never WINNER); a fixed
 * horizon not reached → IN_PROGRESS; then the primary metric: an arm significantly better → WINNER (naming any
 * arm significantly worse), only worse ones → LOSER, else INCONCLUSIVE.
 */
export function verdictOf({ variants, srm, metrics, settings, plan }: VerdictInput): Verdict {
  const units = variants.reduce((a, v) => a + v.units, 0);
  const planned =
    plan === null
      ? ''
      : ` Planned: ${plan.totalUnits} units for ${percent(plan.minimumDetectableEffect).replace('+', '±')} on ` +
        `${plan.metricKey} at ${Math.round(plan.power * 100)}% power` +
        (plan.expectedDays === null
          ? ''
          : `, about ${days(plan.expectedDays)} at ${Math.round(plan.unitsPerDay!)} units a day`) +
        '.';
  if (units === 0) return { status: 'NO_DATA', message: `No exposures yet.${planned}` };
  if (srm.mismatch) {
    return {
      status: 'SAMPLE_RATIO_MISMATCH',
      message:
        `Sample ratio mismatch (p = ${pValueText(srm.pValue)}): units do not follow the variant weights, so ` +
        'assignment or exposure logging is broken somewhere; do not trust these results until it is fixed.',
    };
  }
  const primary = metrics.find((m) => m.role === 'primary');
  const describe = (metric: MetricFigures, c: ComparisonFigures) => {
    if (settings.sequential) {
      // A difference of conversion rates reads best in percentage points.
      const difference = (x: number) =>
        metric.type === 'conversion' ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} points` : number(x);
      const sequence =
        c.confidenceSequence === null
          ? ''
          : `; confidence sequence of the difference ${difference(c.confidenceSequence[0])} to ` +
            difference(c.confidenceSequence[1]);
      return (
        `${c.variant} ${percent(c.relativeEffect)} on ${metric.name} (always-valid p = ${pValueText(c.alwaysValidPValue)}` +
        `, adjusted ${pValueText(c.adjustedPValue)}${sequence})`
      );
    }
    return (
      `${c.variant} ${percent(c.relativeEffect)} on ${metric.name} (${Math.round((1 - settings.alpha) * 100)}% CI ` +
      `${percent(c.relativeCI?.[0] ?? null)} to ${percent(c.relativeCI?.[1] ?? null)}, p = ${pValueText(c.pValue)}, ` +
      `adjusted ${pValueText(c.adjustedPValue)})`
    );
  };

  const harms = metrics
    .filter((m) => m.role === 'guardrail')
    .flatMap((m) => m.comparisons.filter((c) => c.outcome === 'worse').map((c) => ({ metric: m, c })));
  const better = primary?.comparisons.filter((c) => c.outcome === 'better') ?? [];
  const worse = primary?.comparisons.filter((c) => c.outcome === 'worse') ?? [];
  if (harms.length > 0) {
    const harmful = new Set(harms.map((h) => h.c.variant));
    const clean = better.filter((c) => !harmful.has(c.variant));
    return {
      status: 'GUARDRAIL_HARM',
      message:
        `Guardrail harm: ${harms
          .map(
            ({ metric, c }) =>
              `${c.variant} worsens ${metric.name} (${percent(c.relativeEffect)}, always-valid one-sided p = ` +
              `${pValueText(c.harmPValue)}, adjusted ${pValueText(c.adjustedPValue)})`,
          )
          .join('; ')}. Do not ship ${[...harmful].join(' or ')}.` +
        (clean.length === 0
          ? ''
          : ` Without a guardrail harm: ${clean.map((c) => describe(primary!, c)).join('; ')}.`),
      harms: harms.map(({ metric, c }) => ({ variant: c.variant, metricKey: metric.metricKey })),
    };
  }
  if (primary === undefined || primary.comparisons.length === 0) {
    return { status: 'INCONCLUSIVE', message: `${units} units exposed; no metric to compare.${planned}` };
  }
  if (!settings.sequential && plan !== null && !plan.reached) {
    const remaining = plan.remainingDays === null ? '' : `, about ${days(plan.remainingDays)} to go`;
    return {
      status: 'IN_PROGRESS',
      message:
        `Fixed horizon: ${Math.round(plan.progress * 100)}% of the planned ${plan.totalUnits} units${remaining}. ` +
        'No verdict before the planned sample size: a fixed-horizon test read early is not valid.',
    };
  }
  if (!settings.sequential && plan === null) {
    return {
      status: 'IN_PROGRESS',
      message: `Fixed horizon, but no plan can be made for ${primary.name}: there is no verdict until one can.`,
    };
  }
  const worseArms = worse.map((c) => ({ variant: c.variant, metricKey: primary.metricKey }));
  if (better.length > 0) {
    const ranked = [...better].sort(
      (a, b) => Math.abs(b.absoluteEffect ?? 0) - Math.abs(a.absoluteEffect ?? 0),
    );
    const also =
      worse.length === 0
        ? ''
        : ` Significantly worse than control: ${worse.map((c) => describe(primary, c)).join('; ')}.`;
    return {
      status: 'WINNER',
      message: `Beats control: ${ranked.map((c) => describe(primary, c)).join('; ')}.${also}`,
      winners: ranked.map((c) => c.variant),
      ...(worseArms.length > 0 ? { worse: worseArms } : {}),
    };
  }
  if (worse.length > 0) {
    return {
      status: 'LOSER',
      message: `Worse than control: ${worse.map((c) => describe(primary, c)).join('; ')}.`,
      worse: worseArms,
    };
  }
  const tested = primary.comparisons.filter((c) => c.adjustedPValue !== null);
  if (tested.length === 0) {
    return {
      status: 'INCONCLUSIVE',
      message: `Not enough data on ${primary.name} for a test yet (${units} units).${planned}`,
    };
  }
  const closest = [...tested].sort((a, b) => a.adjustedPValue! - b.adjustedPValue!)[0]!;
  const power =
    plan === null || plan.achievedPower === null
      ? ''
      : ` Power so far for ${percent(plan.minimumDetectableEffect).replace('+', '±')}: ${Math.round(plan.achievedPower * 100)}%.`;
  return {
    status: 'INCONCLUSIVE',
    message:
      `No significant difference on ${primary.name} yet (${units} units; closest: ${describe(primary, closest)}).` +
      power,
  };
}
