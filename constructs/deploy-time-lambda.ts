import { IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';

/**
 * Acknowledges the HIPAA/NIST Lambda rules that do not fit a deploy-time custom-resource Lambda.
 * - Inside VPC: must NOT be satisfied. A dedicated-tenancy VPC cannot host VPC-attached Lambda.
 * - DLQ: only CloudFormation and the provider framework invoke it, synchronously or with their own retries.
 * - Reserved concurrency: reserving any would fail deploys in fresh accounts whose concurrency quota is 10.
 */
export function acknowledgeDeployTimeLambda(fn: IConstruct, what: string): void {
  for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
    acknowledge(
      fn,
      `${pack}::${pack}-LambdaInsideVPC`,
      `Design decision: ${what} is not VPC-attached, because Lambda cannot be attached to a dedicated-tenancy VPC (the tenancy guard fails synth if one is). Compensated by IAM scoped to named resources and AWS APIs over TLS; it handles no PHI.`,
    );
    acknowledge(
      fn,
      `${pack}::${pack}-LambdaDLQ`,
      `Design decision: ${what} runs only during CloudFormation deploys and is invoked synchronously, so a dead-letter queue never receives anything. Compensated by CloudFormation reporting every failure on the stack event and the function's KMS-encrypted log group.`,
    );
    acknowledge(
      fn,
      `${pack}::${pack}-LambdaConcurrency`,
      `Design decision: ${what} runs a few times per deploy; reserving concurrency would fail deployment in accounts with the default concurrency quota of 10. Compensated by only the CloudFormation provider being able to invoke it (no resource policy, IAM-scoped invoke).`,
    );
  }
}
