/**
 * SemVer 2.0.0 parsing and precedence (https://semver.org §11), small and allocation-light because context
 * versions are parsed on every evaluation. Accepted: `MAJOR.MINOR.PATCH[-prerelease][+build]` with an
 * optional leading `v`; numeric identifiers must be safe integers without leading zeros (as node-semver);
 * build metadata is ignored for precedence.
 */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Prerelease identifiers; numbers for numeric ones. Empty for a release. */
  readonly prerelease: readonly (string | number)[];
}

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;
const NUMERIC = /^\d+$/;
const NO_PRERELEASE: readonly (string | number)[] = Object.freeze([]);

export function parseSemver(input: string): SemVer | null {
  if (input.length > 256) return null;
  const match = SEMVER.exec(input);
  if (match === null) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = Number(match[3]);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch))
    return null;
  const pre = match[4];
  if (pre === undefined) return { major, minor, patch, prerelease: NO_PRERELEASE };
  const prerelease: (string | number)[] = [];
  for (const id of pre.split('.')) {
    if (NUMERIC.test(id)) {
      const n = Number(id);
      if (!Number.isSafeInteger(n)) return null;
      prerelease.push(n);
    } else {
      prerelease.push(id);
    }
  }
  return { major, minor, patch, prerelease };
}

/** Precedence: negative, zero or positive as `a` is lower than, equal to or higher than `b`. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const pa = a.prerelease;
  const pb = b.prerelease;
  // A release ranks above any of its prereleases.
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length === 0 ? 0 : pa.length === 0 ? 1 : -1;
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const xNumeric = typeof x === 'number';
    const yNumeric = typeof y === 'number';
    // Numeric identifiers rank below alphanumeric ones; like kinds compare numerically or in ASCII order.
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return pa.length === pb.length ? 0 : pa.length < pb.length ? -1 : 1;
}

function compareText(text: string, target: SemVer): number {
  const parsed = parseSemver(text);
  return parsed === null ? NaN : compareSemver(parsed, target);
}

/**
 * `compareSemver(parseSemver(text), target)`, or NaN when `text` is not a version. Plain releases
 * (`1.4.2`, `v1.4.2`), the bulk of what apps report, are read in one pass without a regex or allocation.
 */
export function compareSemverText(text: string, target: SemVer): number {
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 118 ? 1 : 0; // optional 'v'
  let major = 0;
  let minor = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  let part = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (leadingZero || digits === 15) return compareText(text, target);
      if (digits === 0 && c === 48) leadingZero = true;
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 46 && part < 2 && digits > 0) {
      if (part === 0) major = value;
      else minor = value;
      part++;
      value = 0;
      digits = 0;
      leadingZero = false;
    } else {
      return compareText(text, target); // prerelease, build metadata or not a version
    }
  }
  if (part !== 2 || digits === 0) return NaN;
  if (major !== target.major) return major < target.major ? -1 : 1;
  if (minor !== target.minor) return minor < target.minor ? -1 : 1;
  if (value !== target.patch) return value < target.patch ? -1 : 1;
  return target.prerelease.length === 0 ? 0 : 1;
}
