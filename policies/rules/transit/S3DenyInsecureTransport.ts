import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { defineRule } from '../../rule';
import { deniesInsecureTransport } from '../helpers/policy-documents';
import { appResources, designates } from '../helpers/references';
import { compliantIf } from '../helpers/results';
import { cfnProps, str } from '../helpers/values';

/**
 * A bucket has a bucket policy (by reference, or by the bucket's concrete name, anywhere in the app) that denies every
 * principal all S3 actions when `aws:SecureTransport` is false.
 */
export const S3DenyInsecureTransport = defineRule({
  id: 'S3DenyInsecureTransport',
  pillars: ['P01'],
  hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  info: 'The bucket has no bucket policy that denies requests made without TLS (aws:SecureTransport false).',
  explanation:
    'Pillar P01: S3 accepts plain HTTP unless the bucket policy denies it. Deny s3:* to every principal when ' +
    'aws:SecureTransport is false (enforceSSL: true in CDK).',
  check: (node: CfnResource) => {
    if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
    const name = str(cfnProps(node).BucketName);
    const coversAll = (a: string) => a === 's3:*' || a === '*';
    const denied = appResources(node, 'AWS::S3::BucketPolicy').some((policy) => {
      const props = cfnProps(policy);
      const forThisBucket = designates(props.Bucket, policy, node, (bucket) => bucket === name);
      return forThisBucket && deniesInsecureTransport(props.PolicyDocument, coversAll);
    });
    return compliantIf(denied);
  },
});
