/**
 * The part of jStat 1.9.6 (untyped) that shared/stats uses. Its normal distribution and chi-square cdf
 * agree with SciPy to about 1e-15 and 4e-11 (absolute); its Student t does not (see distributions.ts),
 * so only its quantile is used, as a starting point.
 */
declare module 'jstat' {
  export const jStat: {
    readonly normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    readonly studentt: {
      inv(p: number, dof: number): number;
    };
    readonly chisquare: {
      cdf(x: number, dof: number): number;
    };
  };
}
