import { Stack, Validations } from 'aws-cdk-lib';
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

/** The flat form cdk-nag gives a CloudFormation reference in a finding id (cdk-nag's flattenCfnReference). */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
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
