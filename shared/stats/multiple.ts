/**
 * Multiple-comparison corrections, as adjusted p-values: a hypothesis is rejected at level α when its adjusted
 * p-value is ≤ α. They agree with statsmodels' `multipletests` (methods 'holm', 'bonferroni', 'fdr_bh'); see
 * test/fixtures/stats/generate.py.
 *
 * - Bonferroni: m·p. Family-wise error ≤ α under any dependence.
 * - Holm (1979): step-down, p₍ᵢ₎ · (m − i + 1), made monotone. Family-wise error ≤ α under any dependence and
 *   never less powerful than Bonferroni.
 * - Benjamini–Hochberg (1995): step-up, p₍ᵢ₎ · m / i, made monotone from the largest down. False discovery
 *   rate ≤ α for independent or positively dependent tests (PRDS), which comparisons against a shared control
 *   are (Benjamini & Yekutieli 2001).
 *
 * Each only needs every p-value to be valid on its own, so they apply as well to always-valid p-values read
 * at any stopping time.
 */
export const CORRECTIONS = ['holm', 'bonferroni', 'benjamini-hochberg', 'none'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/**
 * The adjusted p-values, in input order. A null p-value (a comparison without a test yet) still counts in the
 * family (m is the number of hypotheses planned, so a test cannot gain power by others lacking data) and stays
 * null.
 */
export function adjustPValues(
  pValues: readonly (number | null)[],
  correction: Correction,
): (number | null)[] {
  for (const p of pValues) {
    if (p !== null && !(p >= 0 && p <= 1)) throw new RangeError(`p-values must be in [0, 1] (${p})`);
  }
  const m = pValues.length;
  if (correction === 'none' || m <= 1) return [...pValues];
  if (correction === 'bonferroni') return pValues.map((p) => (p === null ? null : Math.min(1, m * p)));
  // Missing p-values sort last, as 1 would: they never make another hypothesis easier to reject.
  const order = pValues
    .map((p, i) => ({ p: p ?? 1, i, known: p !== null }))
    .sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted: (number | null)[] = new Array<number | null>(m).fill(null);
  if (correction === 'holm') {
    let running = 0;
    order.forEach(({ p, i, known }, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * p));
      if (known) adjusted[i] = running;
    });
    return adjusted;
  }
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const { p, i, known } = order[rank]!;
    running = Math.min(running, (m * p) / (rank + 1));
    if (known) adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/**
 * The level at which each of `m` intervals is built so that all of them hold together with probability
 * ≥ 1 − α (Bonferroni: α / m). Holm has no interval of its own; its intervals are Bonferroni's, which is why a
 * Holm rejection can come with an interval that still touches 0.
 */
export function simultaneousLevel(alpha: number, m: number, correction: Correction): number {
  return correction === 'holm' || correction === 'bonferroni' ? alpha / Math.max(1, m) : alpha;
}
