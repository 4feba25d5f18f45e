import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { appResources, designates } from '../helpers/references';
import { isPhiBucket } from '../helpers/resource-kinds';
import { compliantIf } from '../helpers/results';
import { asArray, CfnProps, cfnProps, str } from '../helpers/values';

/** True when an S3 data-resource value (`arn:aws:s3:::bucket/` or a prefix of it) covers the bucket. */
function arnCovers(arn: string, bucketName: string | undefined): boolean {
  const match = /^arn:[a-z-]+:s3(:::(.*))?$/.exec(arn);
  if (!match) return false;
  const rest = match[2] ?? '';
  if (rest === '') return true; // "arn:aws:s3" or "arn:aws:s3:::" = every bucket
  return bucketName !== undefined && (rest === bucketName || rest.startsWith(`${bucketName}/`));
}

/** Basic event selectors: an AWS::S3::Object data resource on the bucket, reads and writes. */
function basicSelectorsCover(trail: CfnResource, props: CfnProps, bucket: CfnResource, name?: string): boolean {
  return asArray(props.EventSelectors).some(
    (selector: CfnProps) =>
      (selector.ReadWriteType ?? 'All') === 'All' &&
      asArray(selector.DataResources).some(
        (resource: CfnProps) =>
          resource.Type === 'AWS::S3::Object' &&
          asArray(resource.Values).some((v) => designates(v, trail, bucket, (arn) => arnCovers(arn, name))),
      ),
  );
}

/** Advanced event selectors: data events of type AWS::S3::Object, not limited to reads or writes, on the bucket. */
function advancedSelectorsCover(trail: CfnResource, props: CfnProps, bucket: CfnResource, name?: string): boolean {
  return asArray(props.AdvancedEventSelectors).some((selector: CfnProps) => {
    const fields = asArray(selector.FieldSelectors) as CfnProps[];
    const field = (n: string) => fields.find((f) => f.Field === n);
    if (!asArray(field('resources.type')?.Equals).includes('AWS::S3::Object')) return false;
    if (field('readOnly')) return false; // only reads or only writes
    const arns = field('resources.ARN');
    if (!arns) return true;
    if (arns.NotEquals || arns.NotStartsWith || arns.EndsWith || arns.NotEndsWith) return false;
    return [...asArray(arns.StartsWith), ...asArray(arns.Equals)].some((v) =>
      designates(v, trail, bucket, (arn) => arnCovers(arn, name) || arnCovers(arn.replace(/\/$/, ''), name)),
    );
  });
}

/**
 * Every bucket tagged `hipaa-kit:data-classification=phi` is covered by S3 data events (reads and writes) of a
 * logging trail somewhere in the app. Trails are searched across all stacks; a trail in another stack can only
 * match the bucket by its concrete name, so PHI buckets need a fixed BucketName (the kit derives one).
 */
export const S3PhiBucketDataEvents = defineRule({
  id: 'S3PhiBucketDataEvents',
  pillars: ['P03'],
  hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
  info: 'No CloudTrail trail in the app records S3 data events (reads and writes) for this PHI bucket.',
  explanation:
    'Pillar P03: every access to PHI is logged. Management events do not show who read or wrote an object; S3 data ' +
    'events do. Select AWS::S3::Object data events on arn:aws:s3:::<bucket>/ with ReadWriteType All.',
  check: (node: CfnResource) => {
    if (!isPhiBucket(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const name = str(cfnProps(node).BucketName);
    const covered = appResources(node, 'AWS::CloudTrail::Trail').some((trail) => {
      const props = cfnProps(trail);
      if (props.IsLogging === false || props.IsLogging === 'false') return false;
      return basicSelectorsCover(trail, props, node, name) || advancedSelectorsCover(trail, props, node, name);
    });
    return compliantIf(covered);
  },
});
