import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeDeployTimeLambda } from './deploy-time-lambda';
import { EncryptedLogGroup } from './encrypted-log-group';

/** One resource whose deletion protection is switched on by an API call, and the permission that call needs. */
export interface ProtectedResource {
  /** Construct ID of the custom resource that protects it, e.g. 'Database'. */
  readonly id: string;
  /** The resource itself: protection waits for it (and for everything else in the stack). */
  readonly resource: IConstruct;
  readonly call: cr.AwsSdkCall;
  readonly permission: iam.PolicyStatement;
}

export interface DeletionProtectionAfterCreateProps {
  readonly resources: ProtectedResource[];
  /** CMK of the handler's log group. */
  readonly logsKey: kms.IKey;
  readonly logRetentionDays: number;
}

/**
 * Turns on deletion protection only once every other resource of the stack exists. Protection set in the template
 * itself makes a failed first create unrecoverable: CloudFormation cannot delete a protected ALB, database or table
 * while it rolls back, so the stack ends in ROLLBACK_FAILED (and with fixed names, a retry fails with "already
 * exists"). Added last, nothing after it can fail the create. Deleting this resource leaves the protection on.
 *
 * The template must not state the protection at all (not even `false`): CloudFormation updates only the properties
 * that change between templates, so an absent one never turns the protection off again.
 */
export class DeletionProtectionAfterCreate extends Construct {
  readonly customResources: cr.AwsCustomResource[] = [];

  constructor(scope: Construct, id: string, props: DeletionProtectionAfterCreateProps) {
    super(scope, id);
    const logs = new EncryptedLogGroup(this, 'HandlerLogs', {
      encryptionKey: props.logsKey,
      retentionDays: props.logRetentionDays,
    }).logGroup;
    // A customer-managed policy on a role we own: AwsCustomResource's default role carries an inline policy.
    const policy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: 'Turn on deletion protection of named resources after their stack is created',
      statements: [
        ...props.resources.map((r) => r.permission),
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logs.logGroupArn],
        }),
      ],
    });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deploy-time handler that turns on deletion protection after the stack is created',
      managedPolicies: [policy],
    });

    for (const target of props.resources) {
      const custom = new cr.AwsCustomResource(this, target.id, {
        resourceType: 'Custom::DeletionProtectionAfterCreate',
        onCreate: target.call,
        onUpdate: target.call,
        role: role.withoutPolicyUpdates(),
        logGroup: logs,
        installLatestAwsSdk: false,
      });
      custom.node.addDependency(policy, target.resource);
      this.customResources.push(custom);
    }
    const handler = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (!handler) throw new Error('DeletionProtectionAfterCreate: the AwsCustomResource handler was not found');
    handler.node.addDependency(policy);
    acknowledgeDeployTimeLambda(handler, 'the deletion-protection handler (CDK AwsCustomResource)');
  }

  /** Makes every custom resource wait for all other resources of the stack; call once the stack is complete. */
  lastInStack(): void {
    const stack = Stack.of(this);
    const mine = new Set(this.node.findAll());
    const handler = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    for (const c of handler?.node.findAll() ?? []) mine.add(c);
    const others = stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && !mine.has(c));
    for (const custom of this.customResources) custom.node.addDependency(...others);
  }
}

/**
 * Acknowledges the packs' "deletion protection not enabled" findings on a resource that DeletionProtectionAfterCreate
 * protects: the template states no protection on purpose, and the protection exists once the stack does.
 */
export function acknowledgeProtectionAfterCreate(resource: IConstruct, ids: readonly `${string}::${string}`[]): void {
  for (const id of ids) {
    acknowledge(
      resource,
      id,
      'Design decision: deletion protection is turned on by Custom::DeletionProtectionAfterCreate once every other resource of the stack exists, because protection in the template makes a failed first create end in ROLLBACK_FAILED. Compensating controls: the resource is retained on stack deletion and replacement (RetainExceptOnCreate), the Pillars rule FixedNameRetainExceptOnCreate keeps the template free of rollback traps, and npm run verify checks the protection live.',
    );
  }
}
