/**
 * S3: every kit bucket keeps its encryption, block-public-access, versioning, TLS-only policy and (on the audit
 * bucket) Object Lock, and has no public ACL or policy. Expected values are the synthesized bucket's properties.
 */
import {
  GetBucketAclCommand,
  GetBucketAclCommandOutput,
  GetBucketEncryptionCommand,
  GetBucketEncryptionCommandOutput,
  GetBucketPolicyCommand,
  GetBucketPolicyCommandOutput,
  GetBucketPolicyStatusCommand,
  GetBucketPolicyStatusCommandOutput,
  GetBucketVersioningCommand,
  GetBucketVersioningCommandOutput,
  GetObjectLockConfigurationCommand,
  GetObjectLockConfigurationCommandOutput,
  GetPublicAccessBlockCommand,
  GetPublicAccessBlockCommandOutput,
} from '@aws-sdk/client-s3';
import { deniesInsecureTransport } from '../policies/rules/helpers/policy-documents';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';
import { templateResource } from './expected';

const AREA = 'S3';

export const S3_CHECKS = {
  encryption: {
    id: 's3.encryption',
    title: 'Default encryption as synthesized',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
  publicAccessBlock: {
    id: 's3.block-public-access',
    title: 'All four block-public-access settings on',
    pillars: ['P07'],
    hipaa: ['164.312(a)(1)'],
  },
  versioning: { id: 's3.versioning', title: 'Versioning as synthesized', pillars: [], hipaa: ['164.312(c)(1)'] },
  tlsOnly: {
    id: 's3.tls-only',
    title: 'Bucket policy denies non-TLS requests',
    pillars: ['P01'],
    hipaa: ['164.312(e)(1)', '164.312(e)(2)(ii)'],
  },
  notPublic: { id: 's3.not-public', title: 'No public ACL or policy', pillars: ['P07'], hipaa: ['164.312(a)(1)'] },
  objectLock: {
    id: 's3.object-lock',
    title: 'Object Lock retention as synthesized (audit bucket)',
    pillars: ['P03'],
    hipaa: ['164.312(b)', '164.312(c)(1)'],
  },
} as const satisfies Record<string, CheckSpec>;

const PUBLIC_GRANTEES = [
  'http://acs.amazonaws.com/groups/global/AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
];

/** S3 answers "not configured" with an error; those mean the setting is absent (a finding, not a failed call). */
async function optional<T>(promise: Promise<T>, ...absent: string[]): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (absent.includes((error as Error).name)) return undefined;
    throw error;
  }
}

export async function checkS3(ctx: VerifyContext): Promise<CheckResult[]> {
  const buckets = resourcesOfType(ctx.deployment, 'AWS::S3::Bucket');
  const results = await Promise.all(
    buckets.map((bucket) =>
      guarded(AREA, Object.values(S3_CHECKS), label(bucket), async () => {
        const Bucket = bucket.physicalId;
        const where = label(bucket);
        const props = templateResource(ctx.templates, bucket.stack, bucket.logicalId)?.Properties ?? {};
        const s3 = ctx.clients.s3;
        const encryption = await optional<GetBucketEncryptionCommandOutput>(
          ctx.call(s3, new GetBucketEncryptionCommand({ Bucket })),
          'ServerSideEncryptionConfigurationNotFoundError',
        );
        const block = await optional<GetPublicAccessBlockCommandOutput>(
          ctx.call(s3, new GetPublicAccessBlockCommand({ Bucket })),
          'NoSuchPublicAccessBlockConfiguration',
        );
        const versioning: GetBucketVersioningCommandOutput = await ctx.call(
          s3,
          new GetBucketVersioningCommand({ Bucket }),
        );
        const policy = await optional<GetBucketPolicyCommandOutput>(
          ctx.call(s3, new GetBucketPolicyCommand({ Bucket })),
          'NoSuchBucketPolicy',
        );
        const policyStatus = await optional<GetBucketPolicyStatusCommandOutput>(
          ctx.call(s3, new GetBucketPolicyStatusCommand({ Bucket })),
          'NoSuchBucketPolicy',
        );
        const acl: GetBucketAclCommandOutput = await ctx.call(s3, new GetBucketAclCommand({ Bucket }));

        const wantAlgorithm =
          props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm ??
          'aws:kms';
        const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
        const haveAlgorithm = rule?.SSEAlgorithm ?? 'none';
        const encryptionProblems =
          haveAlgorithm === wantAlgorithm || (wantAlgorithm === 'aws:kms' && haveAlgorithm === 'aws:kms:dsse')
            ? []
            : [`default encryption is ${haveAlgorithm}, synthesized ${wantAlgorithm}`];
        // A KMS bucket must still use one of the kit's keys (not aws/s3 or a foreign key).
        const kitKeyIds = resourcesOfType(ctx.deployment, 'AWS::KMS::Key').map((k) => k.physicalId);
        if (wantAlgorithm === 'aws:kms' && encryptionProblems.length === 0) {
          const key = rule?.KMSMasterKeyID ?? '';
          if (!kitKeyIds.some((id) => key.endsWith(id)))
            encryptionProblems.push(`encrypted with ${key || 'the AWS-managed key'}, not a kit key`);
        }

        const cfg = block?.PublicAccessBlockConfiguration;
        const blockOff = (
          ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const
        ).filter((k) => cfg?.[k] !== true);

        const wantVersioning = props.VersioningConfiguration?.Status === 'Enabled';
        const versioningProblems =
          wantVersioning && versioning.Status !== 'Enabled'
            ? [`versioning is ${versioning.Status ?? 'never enabled'}`]
            : [];

        const document = policy?.Policy ? JSON.parse(policy.Policy) : undefined;
        const tls = deniesInsecureTransport(document, (a) => a === 's3:*' || a === '*');

        const publicGrants = (acl.Grants ?? []).filter((g) => PUBLIC_GRANTEES.includes(g.Grantee?.URI ?? ''));
        const publicProblems = [
          ...publicGrants.map((g) => `ACL grants ${g.Permission} to ${g.Grantee?.URI?.split('/').pop()}`),
          ...(policyStatus?.PolicyStatus?.IsPublic ? ['the bucket policy makes it public'] : []),
        ];

        const results: CheckResult[] = [
          judge(
            AREA,
            S3_CHECKS.encryption,
            where,
            encryptionProblems,
            `${haveAlgorithm}${rule?.KMSMasterKeyID ? ` (${rule.KMSMasterKeyID})` : ''}`,
          ),
          judge(
            AREA,
            S3_CHECKS.publicAccessBlock,
            where,
            blockOff.length ? [`off: ${blockOff.join(', ')}`] : [],
            'all four on',
          ),
          judge(
            AREA,
            S3_CHECKS.versioning,
            where,
            versioningProblems,
            `versioning ${versioning.Status ?? 'off (not synthesized)'}`,
          ),
          judge(
            AREA,
            S3_CHECKS.tlsOnly,
            where,
            tls ? [] : ['no statement denies aws:SecureTransport=false'],
            'denies non-TLS',
          ),
          judge(AREA, S3_CHECKS.notPublic, where, publicProblems, 'no public grant, policy not public'),
        ];
        const wantLock = props.ObjectLockConfiguration;
        if (wantLock?.ObjectLockEnabled === 'Enabled') {
          const lock = await optional<GetObjectLockConfigurationCommandOutput>(
            ctx.call(s3, new GetObjectLockConfigurationCommand({ Bucket })),
            'ObjectLockConfigurationNotFoundError',
          );
          const have = lock?.ObjectLockConfiguration;
          const want = wantLock.Rule?.DefaultRetention ?? {};
          const got = have?.Rule?.DefaultRetention ?? {};
          const lockProblems: string[] = [];
          if (have?.ObjectLockEnabled !== 'Enabled') lockProblems.push('Object Lock is not enabled');
          else if (got.Mode !== want.Mode || got.Days !== want.Days || got.Years !== want.Years) {
            lockProblems.push(
              `default retention ${got.Mode} ${got.Days ?? got.Years} differs from ${want.Mode} ${want.Days ?? want.Years}`,
            );
          }
          results.push(
            judge(AREA, S3_CHECKS.objectLock, where, lockProblems, `${got.Mode} ${got.Days ?? `${got.Years} years`}`),
          );
        }
        return results;
      }),
    ),
  );
  return results.flat();
}
