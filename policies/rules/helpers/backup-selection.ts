/** AWS Backup selections and the ARN patterns they hold. */
import { CfnResource } from 'aws-cdk-lib';
import { appResources, designates } from './references';
import { tagValue } from './resource-kinds';
import { asArray, CfnProps, cfnProps } from './values';

/** Glob match where `*` spans any characters (IAM/Backup ARN patterns). */
export function globMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(text);
}

/** Escapes text for use inside a RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when some AWS::Backup::BackupSelection in the app selects `target`: a `*` resource, a same-stack
 * Ref/Fn::GetAtt (also inside Fn::Join), a concrete ARN pattern `arnMatches` accepts, or a STRINGEQUALS tag condition
 * the target carries. NotResources exclusions and Conditions are not evaluated (the kit uses neither).
 */
export function inBackupSelection(target: CfnResource, arnMatches: (arn: string) => boolean): boolean {
  const targetTags = cfnProps(target);
  return appResources(target, 'AWS::Backup::BackupSelection').some((selection) => {
    const spec = cfnProps(selection).BackupSelection ?? {};
    const byResource = asArray(spec.Resources).some((r) => r === '*' || designates(r, selection, target, arnMatches));
    const byTag = asArray(spec.ListOfTags).some(
      (t: CfnProps) =>
        t?.ConditionType === 'STRINGEQUALS' &&
        typeof t.ConditionKey === 'string' &&
        tagValue(targetTags, t.ConditionKey) === t.ConditionValue,
    );
    return byResource || byTag;
  });
}
