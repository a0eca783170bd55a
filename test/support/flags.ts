/** The on/off variations of the boolean flags the tests create. */
export const ON_OFF = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

/**
 * A boolean flag as `POST /api/v1/feature-flags` (and `flagInputSchema`) takes it: on/off, enabled, serving `off`
 * to everyone until a rule, a split or a rollout says otherwise. `fields` adds to it or replaces its fields.
 */
export function booleanFlag(key: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key,
    name: key,
    kind: 'boolean',
    enabled: true,
    variations: ON_OFF,
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    ...fields,
  };
}
