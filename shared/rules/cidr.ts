/**
 * IPv4/IPv6 CIDR matching for `in_cidr`, parsed by hand so that the evaluation bundle stays small and the
 * accepted grammar is explicit for other SDKs. IPv4 is strict dotted decimal (no octal, hex or short forms,
 * which other languages read differently); IPv6 is RFC 4291 text (`::` compression, an embedded dotted IPv4 in
 * the last 32 bits, hex groups of 1–4 digits in any case). In contexts, an IPv4-mapped IPv6 address
 * (`::ffff:10.1.2.3`) matches IPv4 ranges and a zone id (`fe80::1%eth0`) is ignored. A plain address is a
 * one-address range (/32, /128).
 */
export type CidrRange =
  | { readonly family: 4; readonly network: number; readonly mask: number }
  | { readonly family: 6; readonly network: readonly number[]; readonly prefix: number };

const PREFIX = /^(0|[1-9]\d{0,2})$/;

/** Strict dotted-decimal IPv4 as an unsigned 32-bit number, or -1. */
export function parseIPv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46; // a virtual trailing '.'
    if (c === 46) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseGroups(groups: string[]): number[] | null {
  const out: number[] = [];
  for (const group of groups) {
    if (!HEX_GROUP.test(group)) return null;
    out.push(parseInt(group, 16));
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address (zone id allowed and dropped when `zone` is true), or null. */
export function parseIPv6(text: string, zone = false): readonly number[] | null {
  let address = text;
  const percent = address.indexOf('%');
  if (percent !== -1) {
    if (!zone || percent === address.length - 1) return null;
    address = address.slice(0, percent);
  }
  if (address.length < 2 || address.length > 45) return null;
  const gap = address.indexOf('::');
  if (gap !== -1 && address.indexOf('::', gap + 1) !== -1) return null;
  const head =
    gap === -1 ? address.split(':') : address.slice(0, gap) === '' ? [] : address.slice(0, gap).split(':');
  const tail = gap === -1 ? [] : address.slice(gap + 2) === '' ? [] : address.slice(gap + 2).split(':');
  // A dotted IPv4 may only stand for the last two groups.
  const last = gap === -1 ? head : tail;
  let embedded: number[] = [];
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    const v4 = parseIPv4(last.pop()!);
    if (v4 === -1) return null;
    embedded = [v4 >>> 16, v4 & 0xffff];
  }
  const first = parseGroups(head);
  const second = parseGroups(tail);
  if (first === null || second === null) return null;
  const explicit = first.length + second.length + embedded.length;
  if (gap === -1 ? explicit !== 8 : explicit > 7) return null;
  return [...first, ...new Array<number>(8 - explicit).fill(0), ...second, ...embedded];
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function maskGroups(groups: readonly number[], prefix: number): number[] {
  return groups.map((group, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/** Parses `address[/prefix]`; null when invalid. Host bits below the prefix are ignored. */
export function parseCidr(text: string): CidrRange | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? null : text.slice(slash + 1);
  if (prefixText !== null && !PREFIX.test(prefixText)) return null;
  const v4 = parseIPv4(address);
  if (v4 !== -1) {
    const prefix = prefixText === null ? 32 : Number(prefixText);
    if (prefix > 32) return null;
    const mask = maskOf(prefix);
    return { family: 4, network: (v4 & mask) >>> 0, mask };
  }
  const v6 = parseIPv6(address);
  if (v6 === null) return null;
  const prefix = prefixText === null ? 128 : Number(prefixText);
  if (prefix > 128) return null;
  return { family: 6, network: maskGroups(v6, prefix), prefix };
}

/** A matcher for a context value against a list of ranges, built once per clause. */
export function cidrMatcher(ranges: readonly CidrRange[]): (value: unknown) => boolean {
  const v4 = ranges.filter((r) => r.family === 4);
  const v6 = ranges.filter((r) => r.family === 6);
  const inV4 = (address: number) => {
    for (const range of v4) if ((address & range.mask) >>> 0 === range.network) return true;
    return false;
  };
  return (value) => {
    if (typeof value !== 'string') return false;
    const address = parseIPv4(value);
    if (address !== -1) return inV4(address);
    const groups = parseIPv6(value, true);
    if (groups === null) return false;
    if (v4.length > 0 && groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0) {
      if (groups[4] === 0 && groups[5] === 0xffff && inV4((groups[6]! * 65536 + groups[7]!) >>> 0))
        return true;
    }
    for (const range of v6) {
      const masked = maskGroups(groups, range.prefix);
      if (masked.every((group, i) => group === range.network[i])) return true;
    }
    return false;
  };
}
