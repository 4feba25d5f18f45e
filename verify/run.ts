/**
 * One verification: credentials, the right account, the synthesized templates, the deployed stacks, then every
 * check area in parallel. Throws a VerifyError for what stops it early (exit 2); returns the live report otherwise.
 */
import { GetCallerIdentityCommand, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { KitConfig } from '../core/config';
import { kitNames } from '../core/naming';
import { checkAlb } from './alb';
import { AwsCredentialIdentityProvider, caller, createClients, resolveCredentials, RetryOptions } from './aws';
import { checkBackup } from './backup';
import { CheckResult, CheckSpec, judge } from './check';
import { checkCloudTrail } from './cloudtrail';
import { checkCognito } from './cognito';
import { Thresholds, VerifyContext } from './context';
import { Deployment, discover, HEALTHY_STACK_STATUSES } from './discovery';
import { checkEc2 } from './ec2';
import { checkIam } from './iam';
import { VerifyError } from './errors';
import { Templates } from './expected';
import { checkKms } from './kms';
import { LiveReport, LIVE_SCHEMA_VERSION, countStatuses, liveControls, verdictOf } from './output';
import { checkRds } from './rds';
import { checkS3 } from './s3';
import { checkSns } from './sns';

/** The check areas, in output order. */
export const AREAS = [
  checkKms,
  checkCloudTrail,
  checkEc2,
  checkS3,
  checkRds,
  checkBackup,
  checkCognito,
  checkAlb,
  checkSns,
  checkIam,
];

export const STACK_CHECK: CheckSpec = {
  id: 'cloudformation.stack-deployed',
  title: 'Stack deployed and in a complete state',
  pillars: [],
  hipaa: [],
};

export interface RunOptions {
  readonly config: KitConfig;
  /** Name of the config profile (lib/profiles.ts key), used in the output file name. */
  readonly profile: string;
  /** The synthesized templates; called only once the credentials and account are known good (fail fast). */
  readonly templates: () => Templates;
  readonly credentials: AwsCredentialIdentityProvider;
  readonly credentialsTimeoutMs?: number;
  readonly thresholds: Thresholds;
  readonly now: Date;
  readonly retry?: RetryOptions;
}

export async function runVerification(options: RunOptions): Promise<LiveReport> {
  const { config } = options;
  const credentials = await resolveCredentials(options.credentials, options.credentialsTimeoutMs);
  const clients = createClients(config.region, credentials);
  const call = caller(options.retry);

  const identity: GetCallerIdentityCommandOutput = await call(clients.sts, new GetCallerIdentityCommand({}));
  if (identity.Account !== config.account) {
    throw new VerifyError(
      `The credentials are for account ${identity.Account} (${identity.Arn}), but profile ${options.profile} deploys to ${config.account}`,
      `use credentials for account ${config.account} (e.g. AWS_PROFILE=<that account's profile>), or the kit profile for ${identity.Account}`,
    );
  }

  const templates = options.templates();
  const prefix = `${kitNames(config).stackPrefix}-`;
  const stackNames = Object.keys(templates)
    .filter((name) => name.startsWith(prefix))
    .sort();
  const deployment = await discover(clients, call, stackNames, { account: config.account, region: config.region });
  const stackResults: CheckResult[] = [
    ...deployment.stacks.map((s) =>
      judge(
        'CloudFormation',
        STACK_CHECK,
        s.name,
        [
          ...(HEALTHY_STACK_STATUSES.includes(s.status) ? [] : [`status ${s.status}`]),
          ...notDeployed(templates, deployment, s.name),
        ],
        s.status,
      ),
    ),
    ...deployment.missing.map((name) =>
      judge('CloudFormation', STACK_CHECK, name, [`not deployed in ${config.account}/${config.region}`], ''),
    ),
  ];

  const ctx: VerifyContext = {
    config,
    templates,
    deployment,
    clients,
    call,
    now: options.now,
    thresholds: options.thresholds,
  };
  const areaResults = await Promise.all(AREAS.map((area) => area(ctx)));
  const checks = [...stackResults, ...areaResults.flat()];
  return {
    schemaVersion: LIVE_SCHEMA_VERSION,
    profile: options.profile,
    account: config.account,
    region: config.region,
    checkedAt: options.now.toISOString(),
    verdict: verdictOf(checks),
    counts: countStatuses(checks),
    stacks: deployment.stacks,
    missingStacks: deployment.missing,
    controls: liveControls(checks),
    checks,
  };
}

/**
 * Resources the synthesized stack declares that the deployed stack does not list (or lists without a physical ID):
 * without this, a check area would pass by silence over a trail or key that is simply not there.
 */
function notDeployed(templates: Templates, deployment: Deployment, stack: string): string[] {
  const deployed = new Set(deployment.resources.filter((r) => r.stack === stack).map((r) => r.logicalId));
  const absent = Object.entries(templates[stack] ?? {})
    .filter(([id, r]) => r.Type !== 'AWS::CDK::Metadata' && !deployed.has(id))
    .map(([id, r]) => `${id} (${r.Type})`)
    .sort();
  if (absent.length === 0) return [];
  const shown = absent.slice(0, 5).join(', ');
  return [`${absent.length} synthesized resource(s) not deployed: ${shown}${absent.length > 5 ? ', ...' : ''}`];
}
