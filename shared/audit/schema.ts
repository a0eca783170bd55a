import * as z from 'zod';
import { CONFIG_KINDS } from '../db/keys';
import { pageSchema, paginationQuery } from '../pagination';

/**
 * Every kind of resource the audit log records: the configuration kinds, and the users, API keys and safety
 * rollbacks changed outside the config table. `auditRecord` takes only these, so a new kind is listed here before
 * it can be audited, and the `resourceKind` filter refuses anything else (400) rather than answering nothing.
 */
export const AUDIT_RESOURCE_KINDS = [...CONFIG_KINDS, 'user', 'apiKey', 'safetyRollback'] as const;
export type AuditResourceKind = (typeof AUDIT_RESOURCE_KINDS)[number];

export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    /** `sub` of the person, or `system:<job>` for jobs. */
    actor: z.string(),
    actorName: z.string().nullable(),
    /** `<kind>.<verb>`, e.g. `user.setRole`, `flag.update`. */
    action: z.string(),
    resourceKind: z.string(),
    resourceKey: z.string(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    requestId: z.string(),
    bodyOmitted: z
      .literal(true)
      .optional()
      .describe(
        'Set on a list page whose before/after exceed its budget (4 MiB per page): before and after are null here; ' +
          'read the entry with a smaller page_size',
      ),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** What a service says about its change; the audit module adds id and time. */
export type AuditRecord = Omit<AuditEntry, 'id' | 'at' | 'bodyOmitted'>;

export const MAX_AUDIT_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

const filters = {
  resourceKind: z.enum(AUDIT_RESOURCE_KINDS).optional().describe('Only changes to this kind of resource'),
  resourceKey: z.string().min(1).max(256).optional(),
  actor: z.string().min(1).max(256).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

function checkRange(
  value: {
    resourceKind?: string | undefined;
    resourceKey?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
  ctx: z.RefinementCtx,
) {
  if (value.resourceKey !== undefined && value.resourceKind === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['resourceKind'],
      message: 'resourceKind is required with resourceKey',
    });
  }
  if (value.from !== undefined && value.to !== undefined) {
    const span = Date.parse(value.to) - Date.parse(value.from);
    if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
    if (span > MAX_AUDIT_RANGE_DAYS * 86_400_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `the range may span at most ${MAX_AUDIT_RANGE_DAYS} days`,
      });
    }
  }
}

export const auditExportQuerySchema = z.strictObject(filters).superRefine(checkRange);
export const auditQuerySchema = z
  .strictObject({ ...paginationQuery.shape, ...filters })
  .superRefine(checkRange);
export type AuditFilter = z.output<typeof auditExportQuerySchema>;
export const auditPageSchema = pageSchema(auditEntrySchema);

/** The time window a query covers: defaults to the last 30 days, and never more than a year. */
export function auditWindow(filter: AuditFilter, now: Date = new Date()): { from: string; to: string } {
  const to = filter.to === undefined ? now : new Date(filter.to);
  const from =
    filter.from === undefined
      ? new Date(to.getTime() - DEFAULT_RANGE_DAYS * 86_400_000)
      : new Date(filter.from);
  return { from: from.toISOString(), to: to.toISOString() };
}
