/**
 * CloudTrail: the kit's trail is logging, delivered recently without errors, multi-region with log file validation
 * and KMS, still selects the data events of the PHI bucket and of every other bucket, and wrote digest files in the
 * last 24 hours.
 */
import {
  GetEventSelectorsCommand,
  GetEventSelectorsCommandOutput,
  GetTrailCommand,
  GetTrailCommandOutput,
  GetTrailStatusCommand,
  GetTrailStatusCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import { ListObjectsV2Command, ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { kitNames } from '../core/naming';
import { CheckResult, CheckSpec, judge, minutesBetween } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';

const AREA = 'CloudTrail';
const TRAIL_SECTIONS = ['164.312(b)', '164.308(a)(1)(ii)(D)', '164.308(a)(5)(ii)(C)'] as const;

export const CLOUDTRAIL_CHECKS = {
  logging: { id: 'cloudtrail.logging', title: 'Trail IsLogging', pillars: ['P03'], hipaa: TRAIL_SECTIONS },
  delivery: {
    id: 'cloudtrail.delivery',
    title: 'Latest delivery is recent, with no delivery errors',
    pillars: ['P03'],
    hipaa: TRAIL_SECTIONS,
  },
  hardened: {
    id: 'cloudtrail.hardened',
    title: 'Multi-region, log file validation, KMS',
    pillars: ['P03', 'P05'],
    hipaa: ['164.312(b)', '164.312(c)(1)', '164.312(c)(2)', '164.312(a)(2)(iv)'],
  },
  dataEvents: {
    id: 'cloudtrail.phi-data-events',
    title: "Event selectors include the PHI bucket's data events",
    pillars: ['P03'],
    hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  },
  allBucketsDataEvents: {
    id: 'cloudtrail.all-buckets-data-events',
    title: 'Event selectors include the data events of every S3 bucket',
    pillars: ['P03'],
    hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  },
  digests: {
    id: 'cloudtrail.digests',
    title: 'Digest files of the last 24 h exist',
    pillars: ['P03'],
    hipaa: ['164.312(c)(1)', '164.312(c)(2)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkCloudTrail(ctx: VerifyContext): Promise<CheckResult[]> {
  const trails = resourcesOfType(ctx.deployment, 'AWS::CloudTrail::Trail');
  const results = await Promise.all(
    trails.map((trail) =>
      guarded(AREA, Object.values(CLOUDTRAIL_CHECKS), label(trail), async () => {
        const where = label(trail);
        const Name = trail.physicalId;
        const got: GetTrailCommandOutput = await ctx.call(ctx.clients.cloudtrail, new GetTrailCommand({ Name }));
        const t = got.Trail ?? {};
        const status: GetTrailStatusCommandOutput = await ctx.call(
          ctx.clients.cloudtrail,
          new GetTrailStatusCommand({ Name }),
        );
        const selectors: GetEventSelectorsCommandOutput = await ctx.call(
          ctx.clients.cloudtrail,
          new GetEventSelectorsCommand({ TrailName: Name }),
        );

        const maxAge = ctx.thresholds.maxTrailDeliveryAgeMinutes;
        const delivered = status.LatestDeliveryTime;
        const deliveryProblems: string[] = [];
        if (!delivered) deliveryProblems.push('no log delivery recorded');
        else if (minutesBetween(delivered, ctx.now) > maxAge) {
          deliveryProblems.push(`latest delivery ${minutesBetween(delivered, ctx.now)} min ago (limit ${maxAge} min)`);
        }
        if (status.LatestDeliveryError) deliveryProblems.push(`delivery error: ${status.LatestDeliveryError}`);
        if (status.LatestDigestDeliveryError) {
          deliveryProblems.push(`digest delivery error: ${status.LatestDigestDeliveryError}`);
        }

        const hardenedProblems: string[] = [];
        if (!t.IsMultiRegionTrail) hardenedProblems.push('not multi-region');
        if (!t.LogFileValidationEnabled) hardenedProblems.push('log file validation off');
        if (!t.KmsKeyId) hardenedProblems.push('logs not encrypted with a KMS key');

        const phiBucket = kitNames(ctx.config).phiBucketName;
        // Reads of PHI must be recorded too: a ReadOnly/WriteOnly selector does not count.
        const covered = [...(selectors.EventSelectors ?? [])].some(
          (s) =>
            (s.ReadWriteType ?? 'All') === 'All' &&
            (s.DataResources ?? []).some(
              (d) =>
                d.Type === 'AWS::S3::Object' &&
                (d.Values ?? []).some(
                  (v) => /^arn:[a-z-]+:s3(:::)?$/.test(v) || v.startsWith(`arn:${partOf(v)}:s3:::${phiBucket}/`),
                ),
            ),
        );
        const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) => {
          const fields = s.FieldSelectors ?? [];
          const s3Objects = fields.some((f) => f.Field === 'resources.type' && f.Equals?.includes('AWS::S3::Object'));
          const bothDirections = !fields.some((f) => f.Field === 'readOnly');
          const arns = fields.find((f) => f.Field === 'resources.ARN');
          return (
            s3Objects &&
            bothDirections &&
            (!arns || (arns.StartsWith ?? arns.Equals ?? []).some((v) => v.includes(`:::${phiBucket}/`)))
          );
        });

        // Every bucket: a basic selector on `arn:<partition>:s3` (or `...:s3:::`), or an advanced one on S3 objects
        // with no ARN filter, in both directions.
        const allBuckets =
          (selectors.EventSelectors ?? []).some(
            (s) =>
              (s.ReadWriteType ?? 'All') === 'All' &&
              (s.DataResources ?? []).some(
                (d) => d.Type === 'AWS::S3::Object' && (d.Values ?? []).some((v) => /^arn:[a-z-]+:s3(:::)?$/.test(v)),
              ),
          ) ||
          (selectors.AdvancedEventSelectors ?? []).some((s) => {
            const fields = s.FieldSelectors ?? [];
            return (
              fields.some((f) => f.Field === 'resources.type' && f.Equals?.includes('AWS::S3::Object')) &&
              !fields.some((f) => f.Field === 'readOnly' || f.Field === 'resources.ARN')
            );
          });

        const digestProblems = await digestsProblems(ctx, t.S3BucketName, t.S3KeyPrefix);
        return [
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.logging,
            where,
            status.IsLogging ? [] : ['the trail is stopped'],
            'IsLogging true',
          ),
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.delivery,
            where,
            deliveryProblems,
            `latest delivery ${delivered?.toISOString()}`,
          ),
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.hardened,
            where,
            hardenedProblems,
            `multi-region, validated, KMS ${t.KmsKeyId}`,
          ),
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.dataEvents,
            where,
            covered || advanced ? [] : [`no S3 data-event selector for ${phiBucket}`],
            `S3 data events of ${phiBucket} selected`,
          ),
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.allBucketsDataEvents,
            where,
            allBuckets ? [] : ['no S3 data-event selector for every bucket (reads and writes)'],
            'S3 data events of every bucket selected',
          ),
          judge(
            AREA,
            CLOUDTRAIL_CHECKS.digests,
            where,
            digestProblems,
            `digest files within ${ctx.thresholds.digestWindowHours} h`,
          ),
        ];
      }),
    ),
  );
  return results.flat();
}

function partOf(arn: string): string {
  return arn.split(':')[1] ?? 'aws';
}

const MAX_DIGEST_GAP_HOURS = 2;

/** Digest files are delivered hourly under AWSLogs/<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/. */
async function digestsProblems(ctx: VerifyContext, bucket: string | undefined, prefix: string | undefined) {
  if (!bucket) return ['the trail names no S3 bucket'];
  const hours = ctx.thresholds.digestWindowHours;
  const since = new Date(ctx.now.getTime() - hours * 3_600_000);
  const days = new Set<string>();
  for (let t = since.getTime(); t <= ctx.now.getTime(); t += 3_600_000) days.add(dayPath(new Date(t)));
  days.add(dayPath(ctx.now));
  const times: number[] = [];
  for (const day of days) {
    const Prefix = `${prefix ? `${prefix}/` : ''}AWSLogs/${ctx.config.account}/CloudTrail-Digest/${ctx.config.region}/${day}/`;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await ctx.call(
        ctx.clients.s3,
        new ListObjectsV2Command({ Bucket: bucket, Prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.LastModified && o.LastModified >= since) times.push(o.LastModified.getTime());
      token = page.NextContinuationToken;
    } while (token);
  }
  if (times.length === 0) return [`no digest file in s3://${bucket} within the last ${hours} h`];
  // Digests are hourly: a gap of more than two hours anywhere in the window means delivery stopped.
  times.sort((a, b) => a - b);
  const gaps = [
    times[0] - since.getTime(),
    ...times.slice(1).map((t, i) => t - times[i]),
    ctx.now.getTime() - times[times.length - 1],
  ];
  const longest = Math.max(...gaps) / 3_600_000;
  return longest > MAX_DIGEST_GAP_HOURS
    ? [
        `digest files in s3://${bucket} have a gap of ${longest.toFixed(1)} h within the last ${hours} h ` +
          '(a trail younger than that window reports this until it has delivered for the whole window)',
      ]
    : [];
}

function dayPath(d: Date): string {
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}
