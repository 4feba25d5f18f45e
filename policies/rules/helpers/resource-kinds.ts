/** What a resource is to the rules: the kit's marking tags, a PHI bucket, a database. */
import { CfnResource } from 'aws-cdk-lib';
import { CfnProps, cfnProps } from './values';

/** A tag's value from a rendered `Tags` property (list of {Key, Value} or a plain map). */
export function tagValue(props: CfnProps, key: string): unknown {
  const tags = props.Tags;
  if (Array.isArray(tags)) return tags.find((t) => t?.Key === key)?.Value;
  if (tags && typeof tags === 'object') return (tags as Record<string, unknown>)[key];
  return undefined;
}

/** The documented tags the kit uses to mark resources for the Pillars rules. */
export const KIT_TAGS = {
  /** `phi` marks a bucket holding PHI: it needs S3 data events in CloudTrail and a backup selection. */
  dataClassification: 'hipaa-kit:data-classification',
  /** Marks a log group as audit data (kept >= 6 years) even when no trail points at it. */
  auditData: 'hipaa-kit:audit-data',
  /** On a bucket that cannot use SSE-KMS (e.g. ALB access logs): the value states why (at least 20 characters). */
  sseS3Exception: 'hipaa-kit:sse-s3-exception',
} as const;

/** Types whose rules judge a database: DB instances (members of a cluster are then not applicable) and clusters. */
export function isDatabase(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::RDS::DBInstance' || node.cfnResourceType === 'AWS::RDS::DBCluster';
}

/** True for a bucket tagged `hipaa-kit:data-classification=phi`. */
export function isPhiBucket(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::S3::Bucket' && tagValue(cfnProps(node), KIT_TAGS.dataClassification) === 'phi';
}
