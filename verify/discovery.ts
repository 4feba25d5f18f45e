/**
 * Finds what the kit deployed from the CloudFormation stacks themselves (never from name guesses): for each stack
 * the synthesized app contains, its status and every resource's type, logical ID and physical ID.
 */
import {
  DescribeStacksCommand,
  DescribeStacksCommandOutput,
  ListStackResourcesCommand,
  ListStackResourcesCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { Clients, Call } from './aws';
import { VerifyError } from './errors';

export interface DeployedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

export interface DeployedStack {
  readonly name: string;
  readonly status: string;
}

export interface Deployment {
  readonly stacks: readonly DeployedStack[];
  /** Stacks of the synthesized app that are not deployed in the account and region. */
  readonly missing: readonly string[];
  readonly resources: readonly DeployedResource[];
}

/** Every deployed resource of a CloudFormation type. */
export function resourcesOfType(deployment: Deployment, type: string): DeployedResource[] {
  return deployment.resources.filter((r) => r.type === type);
}

/** How a resource appears in the output: `Stack/LogicalId (physical id)`. */
export function label(resource: DeployedResource): string {
  return `${resource.stack}/${resource.logicalId} (${resource.physicalId})`;
}

/** Stack states in which the deployed resources are what the template describes. */
export const HEALTHY_STACK_STATUSES = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'];

/**
 * Reads the given stacks. Throws a VerifyError when none of them is deployed (wrong region, wrong profile, or
 * never deployed); a partly deployed kit is reported stack by stack instead.
 */
export async function discover(
  clients: Clients,
  call: Call,
  stackNames: readonly string[],
  where: { account: string; region: string },
): Promise<Deployment> {
  const stacks: DeployedStack[] = [];
  const missing: string[] = [];
  const resources: DeployedResource[] = [];
  for (const name of stackNames) {
    let described: DescribeStacksCommandOutput;
    try {
      described = await call(clients.cloudformation, new DescribeStacksCommand({ StackName: name }));
    } catch (error) {
      // CloudFormation answers ValidationError "Stack with id X does not exist".
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
        missing.push(name);
        continue;
      }
      throw error;
    }
    const stack = described.Stacks?.[0];
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
      missing.push(name);
      continue;
    }
    stacks.push({ name, status: stack.StackStatus ?? 'UNKNOWN' });
    let token: string | undefined;
    do {
      const page: ListStackResourcesCommandOutput = await call(
        clients.cloudformation,
        new ListStackResourcesCommand({ StackName: name, NextToken: token }),
      );
      for (const r of page.StackResourceSummaries ?? []) {
        if (r.LogicalResourceId && r.ResourceType && r.PhysicalResourceId) {
          resources.push({
            stack: name,
            logicalId: r.LogicalResourceId,
            type: r.ResourceType,
            physicalId: r.PhysicalResourceId,
          });
        }
      }
      token = page.NextToken;
    } while (token);
  }
  if (stacks.length === 0) {
    throw new VerifyError(
      `None of the kit's stacks (${stackNames.join(', ')}) is deployed in account ${where.account}, region ${where.region}`,
      'deploy them (npx cdk deploy --all -c profile=<profile>), or pick the profile whose region and account you deployed to',
    );
  }
  return { stacks, missing, resources };
}
