/**
 * AWS access for the verifier: one SDK v3 client per service, the default credential chain resolved once and fast,
 * and `call()`, which retries throttling with backoff and turns AccessDenied into a line naming the permission.
 */
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { isThrottling, isTransient, noCredentials, operatorError } from './errors';
import { permissionFor } from './permissions';

/** Resolved AWS credentials (the SDK's AwsCredentialIdentity shape). */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Where credentials come from: the default chain, or a fixed source in tests. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

export interface Clients {
  readonly backup: BackupClient;
  readonly cloudformation: CloudFormationClient;
  readonly cloudtrail: CloudTrailClient;
  readonly cognito: CognitoIdentityProviderClient;
  readonly ec2: EC2Client;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
  readonly kms: KMSClient;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly sts: STSClient;
  readonly wafv2: WAFV2Client;
}

/** One client per service, all in `region`. Retries are `call()`'s job (tested there), so the SDK makes one attempt. */
export function createClients(region: string, credentials: AwsCredentialIdentity): Clients {
  const config = { region, credentials, maxAttempts: 1 };
  return {
    backup: new BackupClient(config),
    cloudformation: new CloudFormationClient(config),
    cloudtrail: new CloudTrailClient(config),
    cognito: new CognitoIdentityProviderClient(config),
    ec2: new EC2Client(config),
    elb: new ElasticLoadBalancingV2Client(config),
    iam: new IAMClient(config),
    kms: new KMSClient(config),
    rds: new RDSClient(config),
    s3: new S3Client(config),
    sns: new SNSClient(config),
    sts: new STSClient(config),
    wafv2: new WAFV2Client(config),
  };
}

/** How long the whole credential chain may take before verify gives up (the issue asks for < 10 s). */
export const CREDENTIALS_TIMEOUT_MS = 8_000;

/**
 * The default chain (env, SSO, ini, process, web identity, container, instance metadata), with instance metadata
 * limited to one 1-second attempt so a laptop without credentials does not wait on 169.254.169.254.
 */
export function defaultCredentialChain(): AwsCredentialIdentityProvider {
  return defaultProvider({ timeout: 1_000, maxRetries: 0 });
}

/** Resolves credentials once, failing with one clear line when none are found or the chain hangs. */
export async function resolveCredentials(
  provider: AwsCredentialIdentityProvider,
  timeoutMs = CREDENTIALS_TIMEOUT_MS,
): Promise<AwsCredentialIdentity> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(noCredentials(`the credential chain gave none within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([provider(), timeout]);
  } catch (error) {
    if (error instanceof Error && error.name === 'VerifyError') throw error;
    throw noCredentials(error instanceof Error ? error.message.split('\n')[0] : String(error));
  } finally {
    clearTimeout(timer);
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** First backoff; doubled each time, with full jitter. @default 200 */
  readonly baseDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Sends one command, the only way checks talk to AWS. */
export type Call = <O>(client: object, command: object) => Promise<O>;

/**
 * A `Call` that retries throttling and transient errors with exponential backoff and full jitter, and turns
 * AccessDenied or refused credentials into a VerifyError naming the IAM action (verify/permissions.ts).
 */
export function caller(options: RetryOptions = {}): Call {
  const maxAttempts = options.maxAttempts ?? 6;
  const base = options.baseDelayMs ?? 200;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async <O>(client: object, command: object): Promise<O> => {
    const action = permissionFor(command);
    const send = (client as { send(c: object): Promise<O> }).send.bind(client);
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(command);
      } catch (error) {
        const known = operatorError(error, action);
        if (known) throw known;
        if (attempt >= maxAttempts || !(isThrottling(error) || isTransient(error))) throw error;
        await sleep(Math.random() * base * 2 ** (attempt - 1));
      }
    }
  };
}
