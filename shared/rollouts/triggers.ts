/**
 * ISO-8601 durations as rollout triggers take them: `PnW`, or `PnDTnHnMnS` (any part may be left out, seconds
 * may carry a fraction). Years and months are refused: their length depends on the calendar, and a ramp's soak
 * time should mean the same thing whenever it starts. A small strict parser rather than a library: this is the
 * whole grammar we accept.
 */
const DURATION = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?)$/;

/** Milliseconds of an ISO-8601 duration, or null when it is not one we accept (`P`, `PT`, `P1M`, `-PT1S`…). */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (match === null || text === 'P' || text.endsWith('T')) return null;
  const [, weeks, days, hours, minutes, seconds] = match;
  const n = (part: string | undefined) => (part === undefined ? 0 : Number(part));
  const ms = ((((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60 + n(seconds)) * 1000;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : null;
}

export type Trigger =
  | { readonly type: 'time'; readonly after: string }
  | { readonly type: 'at'; readonly timestamp: string }
  | { readonly type: 'manual' }
  | {
      readonly type: 'metric';
      readonly metric: string;
      readonly maxValue?: number | undefined;
      readonly minValue?: number | undefined;
      readonly minSampleSize: number;
    };

/**
 * Whether a stage's trigger is met at `now`, counted from `since` (when the previous stage began, or the start):
 * `time` once its duration has passed, `at` once its timestamp has, `manual` never (only `advance` enters it).
 * `metric` triggers are refused on write (not evaluated yet), so they are never due here either.
 */
export function isTriggerDue(trigger: Trigger, since: string, now: Date): boolean {
  switch (trigger.type) {
    case 'time':
    case 'at': {
      const due = triggerDueAt(trigger, since);
      return due !== null && due <= now.getTime();
    }
    case 'manual':
    case 'metric':
      return false;
  }
}

/**
 * The instant (epoch ms) a `time` or `at` trigger becomes due, counted from `since`: what isTriggerDue compares with
 * now, and when an exact-time schedule fires it (shared/rollouts/exact-time.ts). Null for the triggers no clock
 * decides (`manual`, `metric`).
 */
export function triggerDueAt(trigger: Trigger, since: string): number | null {
  switch (trigger.type) {
    case 'time': {
      const after = parseDuration(trigger.after);
      return after === null ? null : Date.parse(since) + after;
    }
    case 'at':
      return Date.parse(trigger.timestamp);
    case 'manual':
    case 'metric':
      return null;
  }
}
