import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BastionOperator } from '../core/config';
import { acknowledge } from '../core/acknowledge';
import { partitionOf } from '../core/partition';

export interface OperatorAccessPoliciesProps {
  readonly operators: BastionOperator[];
  /** Physical name prefix, e.g. `hipaa-kit-example`. */
  readonly namePrefix: string;
  /** The database's DbiResourceId (IAM database authentication names users under it). */
  readonly databaseResourceId: string;
  /** The bastion instance and the kit's Session document, when Session Manager is on. */
  readonly sessionManager?: { readonly instanceId: string; readonly documentName: string };
}

/**
 * One customer-managed policy per operator, named after the person, to attach to that person's own IAM identity
 * (their Identity Center permission set or role). It lets them connect to the database as their own database user by
 * IAM authentication (`rds-db:connect` on `dbuser:<id>/<name>` only, never the master secret) and, with Session
 * Manager, start sessions on the bastion only through the kit's recording document.
 */
export class OperatorAccessPolicies extends Construct {
  readonly policies: Record<string, iam.ManagedPolicy> = {};

  constructor(scope: Construct, id: string, props: OperatorAccessPoliciesProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    const partition = partitionOf(region);
    for (const op of props.operators) {
      const statements = [
        new iam.PolicyStatement({
          sid: 'ConnectAsOwnDatabaseUser',
          actions: ['rds-db:connect'],
          resources: [`arn:${partition}:rds-db:${region}:${account}:dbuser:${props.databaseResourceId}/${op.name}`],
        }),
      ];
      const sm = props.sessionManager;
      if (sm) {
        statements.push(
          new iam.PolicyStatement({
            sid: 'StartRecordedSessionsOnTheBastion',
            actions: ['ssm:StartSession'],
            resources: [
              `arn:${partition}:ec2:${region}:${account}:instance/${sm.instanceId}`,
              `arn:${partition}:ssm:${region}:${account}:document/${sm.documentName}`,
            ],
            // Without this, StartSession silently falls back to the account's default (unrecorded) document.
            conditions: { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } },
          }),
          new iam.PolicyStatement({
            sid: 'EndOwnSessions',
            actions: ['ssm:TerminateSession', 'ssm:ResumeSession'],
            resources: [`arn:${partition}:ssm:${region}:${account}:session/\${aws:userid}-*`],
          }),
        );
      }
      const policy = new iam.ManagedPolicy(this, `Operator-${op.name}`, {
        managedPolicyName: `${props.namePrefix}-operator-${op.name}`,
        description: `Bastion operator ${op.name}: own database user by IAM authentication, recorded Session Manager sessions`,
        statements,
      });
      if (sm) {
        acknowledge(
          policy,
          `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partition}:ssm:${region}:${account}:session/<aws:userid>-*]`,
          'Session ids are made by Session Manager at start; the ${aws:userid} policy variable limits terminate and ' +
            "resume to the caller's own sessions (AWS's documented pattern); compensating control: no other session " +
            'action, and every session is recorded by the kit document.',
        );
      }
      this.policies[op.name] = policy;
    }
  }
}
