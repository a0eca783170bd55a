/**
 * Reading context attributes. A path is split on dots once, at compile time (`device.os` reads
 * `context.device.os`); traversal goes through plain objects only, so `items.length` or `name.length` are
 * missing rather than JavaScript-specific. Functions (inherited `constructor`, `toString`…) read as missing and
 * `__proto__` segments are never followed, so no context can reach Object.prototype.
 */
export type Context = Readonly<Record<string, unknown>>;
export type AttributeGetter = (context: Context) => unknown;

const alwaysMissing: AttributeGetter = () => undefined;

function own(value: unknown): unknown {
  return typeof value === 'function' ? undefined : value;
}

function isRecord(value: unknown): value is Context {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function splitPath(path: string): string[] | null {
  const segments = path.split('.');
  return segments.some((s) => s === '' || s === '__proto__') ? null : segments;
}

export function attributeGetter(path: string): AttributeGetter {
  const segments = splitPath(path);
  if (segments === null) return alwaysMissing;
  const [first, second] = segments as [string, ...string[]];
  if (segments.length === 1) return (context) => own(context[first]);
  if (segments.length === 2) {
    return (context) => {
      const parent = context[first];
      return isRecord(parent) ? own(parent[second!]) : undefined;
    };
  }
  return (context) => {
    let value: unknown = context;
    for (const segment of segments) {
      if (!isRecord(value)) return undefined;
      value = value[segment];
    }
    return own(value);
  };
}

/** A unit id from an attribute value: a non-empty string, or a safe integer in decimal. */
export function toUnitId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

export type UnitGetter = (context: Context) => string | undefined;

/** The default unit (SPEC §2.3): `targetingKey`, or `userId` when the targeting key is absent or unusable. */
export const defaultUnit: UnitGetter = (context) =>
  toUnitId(own(context.targetingKey)) ?? toUnitId(own(context.userId));

export function unitGetter(bucketBy: string | undefined): UnitGetter {
  if (bucketBy === undefined || bucketBy === 'targetingKey') return defaultUnit;
  const get = attributeGetter(bucketBy);
  return (context) => toUnitId(get(context));
}
