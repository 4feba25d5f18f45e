import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges one finding on the narrowest construct, always in the namespaced form (`Pack::Rule`),
 * so the finding stays visible to auditors in `suppressedViolations` with its reason.
 * The reason must name the design decision and the compensating control.
 */
export function acknowledge(scope: IConstruct, id: `${string}::${string}`, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
