import { Stack, Validations } from 'aws-cdk-lib';
import type { IRole, Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge the cdk-nag finding `AwsSolutions-IAM5[Resource::<arn><suffix>]` on `scope`, e.g. the
 * `<table arn>/index/*` a DynamoDB grant adds. cdk-nag names the finding after the resolved ARN, and an ARN
 * from another stack only resolves to its `Fn::ImportValue` export name during synthesis, so the id is
 * computed when the construct tree is validated (after references are resolved, before cdk-nag runs).
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  arn: string,
  suffix: string,
  reason: string,
): void {
  scope.node.addValidation({
    validate: () => {
      const resource = flattenReference(Stack.of(scope).resolve(arn));
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}${suffix}]`, reason });
      return [];
    },
  });
}

/**
 * Acknowledge `AwsSolutions-IAM5[Resource::…]` for every resource ending in `suffix` in the default policy of
 * `role`: for a role whose grants a CDK construct makes (e.g. on the CDK asset bucket, whose name the synthesizer
 * keeps to itself), so the findings are named after what the policy actually holds, once resolved.
 */
export function acknowledgeWildcardResourcesOf(role: IRole, suffix: string, reason: string): void {
  role.node.addValidation({
    validate: () => {
      const policy = role.node.tryFindChild('DefaultPolicy') as Policy | undefined;
      if (policy === undefined) return [];
      const document = Stack.of(role).resolve(policy.document.toJSON()) as {
        Statement?: { Resource?: unknown }[];
      };
      for (const statement of document.Statement ?? []) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources) {
          if (resource === undefined) continue;
          const flat = flattenReference(resource);
          if (flat.endsWith(suffix)) {
            Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
          }
        }
      }
      return [];
    },
  });
}

/** The flat form cdk-nag gives a CloudFormation reference in a finding id (cdk-nag's flattenCfnReference). */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    const sub = node['Fn::Sub'];
    if (typeof sub === 'string') return flattenReference(sub);
    if ('Fn::ImportValue' in node) return flattenReference(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${flattenReference(node.Ref)}>`;
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, parts] = join as [string, unknown[]];
      return parts.map(flattenReference).join(delimiter);
    }
  }
  throw new Error(`Cannot name the cdk-nag finding for resource ${JSON.stringify(value)}`);
}
