/** EC2 instances and their launch templates. */
import { CfnResource } from 'aws-cdk-lib';
import { referencedResource } from './references';
import { cfnProps, stringsIn } from './values';

/** The same-stack launch template an instance (or Auto Scaling group) is launched from, if any. */
export function launchTemplateOf(node: CfnResource): CfnResource | undefined {
  const spec = cfnProps(node).LaunchTemplate;
  if (!spec) return undefined;
  return referencedResource(node, [spec.LaunchTemplateId, spec.LaunchTemplateName], 'AWS::EC2::LaunchTemplate');
}

/** An instance property, falling back to the instance's launch template (where CDK often puts IMDS and the AMI). */
export function instanceSetting(node: CfnResource, name: string): unknown {
  const own = cfnProps(node)[name];
  if (own !== undefined) return own;
  const template = launchTemplateOf(node);
  return template ? cfnProps(template).LaunchTemplateData?.[name] : undefined;
}

/**
 * The instance's user data as text: every string literal of the (Fn::Base64-wrapped, possibly Fn::Join-ed) value,
 * plus the decoded form of a literal that is itself base64. Includes the launch template's user data.
 */
export function userDataText(node: CfnResource): string {
  const sources = [cfnProps(node).UserData];
  const template = launchTemplateOf(node);
  if (template) sources.push(cfnProps(template).LaunchTemplateData?.UserData);
  return stringsIn(sources)
    .flatMap((s) => (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(s) ? [s, Buffer.from(s, 'base64').toString('utf8')] : [s]))
    .join('\n');
}
