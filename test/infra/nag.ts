import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/**
 * cdk-nag AwsSolutions findings of a synthesized app. With `ignoreAcknowledgements` every finding is
 * returned, acknowledged or not (to check that each acknowledgement still matches something).
 */
export function awsSolutionsFindings(app: App, ignoreAcknowledgements = false): Finding[] {
  const pack = new AwsSolutionsChecks();
  if (ignoreAcknowledgements) {
    // cdk-nag 3 filters acknowledged findings inside the pack; switch that off for this instance only.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'error',
      path: resource.constructPath ?? '',
    })),
  );
}

/** Every acknowledgement recorded with `Validations.of(x).acknowledge()` in the tree. */
export function acknowledgementsOf(root: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  const visit = (construct: IConstruct): void => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

/** AwsSolutions acknowledgements that no longer match any finding at or below the construct they sit on. */
export function staleAcknowledgements(app: App): Acknowledgement[] {
  const raw = awsSolutionsFindings(app, true);
  return acknowledgementsOf(app)
    .filter((ack) => ack.id.startsWith('AwsSolutions-'))
    .filter(
      (ack) =>
        !raw.some(
          (finding) =>
            finding.rule === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
        ),
    );
}
