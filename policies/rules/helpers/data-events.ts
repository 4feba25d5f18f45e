/** Which trails record a bucket's S3 data events (object reads and writes). */
import { CfnResource } from 'aws-cdk-lib';
import { appResources, designates } from './references';
import { asArray, CfnProps, cfnProps, str } from './values';

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
 * True when a logging trail somewhere in the app records the bucket's data events, reads and writes. A trail in
 * another stack matches the bucket by its concrete name only, or by a selector that covers every bucket.
 */
export function loggedByATrail(bucket: CfnResource): boolean {
  const name = str(cfnProps(bucket).BucketName);
  return appResources(bucket, 'AWS::CloudTrail::Trail').some((trail) => {
    const props = cfnProps(trail);
    if (props.IsLogging === false || props.IsLogging === 'false') return false;
    return basicSelectorsCover(trail, props, bucket, name) || advancedSelectorsCover(trail, props, bucket, name);
  });
}
