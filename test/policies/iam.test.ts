import { CfnParameter, CfnResource, Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { finding, findingsOf, testStack } from './support';

const doc = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });
const allow = (action: unknown, resource: unknown = '*') => ({ Effect: 'Allow', Action: action, Resource: resource });
const trust = doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });

describe('IAMNoWildcardActions', () => {
  test('compliant: named actions; a Deny with a wildcard is fine', () => {
    const stack = testStack();
    new iam.CfnManagedPolicy(stack, 'Policy', {
      policyDocument: doc(allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::b/*'), {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
      }),
    });
    new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      policies: [
        { policyName: 'p', policyDocument: doc(allow('kms:Decrypt', 'arn:aws:kms:us-east-1:123456789012:key/k')) },
      ],
    });
    expect(findingsOf(stack, 'IAMNoWildcardActions')).toEqual([]);
  });

  test('non-compliant: *, service:*, NotAction in an Allow, inline and managed', () => {
    const stack = testStack();
    const managed = new iam.CfnManagedPolicy(stack, 'Policy', {
      policyDocument: doc(allow('*'), allow(['s3:*', 'kms:Decrypt'])),
    });
    const role = new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      policies: [{ policyName: 'p', policyDocument: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }) }],
    });
    const policy = new iam.CfnPolicy(stack, 'Inline', {
      policyName: 'i',
      policyDocument: doc(allow('Dynamodb:*')),
      roles: [role.ref],
    });
    expect(findingsOf(stack, 'IAMNoWildcardActions')).toEqual(
      [
        finding('IAMNoWildcardActions', managed, 'Action::*'),
        finding('IAMNoWildcardActions', managed, 'Action::s3:*'),
        finding('IAMNoWildcardActions', role, 'NotAction'),
        finding('IAMNoWildcardActions', policy, 'Action::Dynamodb:*'),
      ].sort(),
    );
  });

  test('intrinsic: a parameter-valued action fails closed; a token resource is irrelevant', () => {
    const stack = testStack();
    const policy = new iam.CfnManagedPolicy(stack, 'Policy', {
      policyDocument: doc(
        allow(new CfnParameter(stack, 'Action').valueAsString),
        allow('sqs:SendMessage', Fn.importValue('Queue')),
      ),
    });
    expect(findingsOf(stack, 'IAMNoWildcardActions')).toEqual([
      finding('IAMNoWildcardActions', policy, 'Action::unresolved'),
    ]);
  });
});

describe('IAMNoAdminManagedPolicies', () => {
  test('compliant: scoped AWS managed policies', () => {
    const stack = testStack();
    new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      managedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup'],
    });
    expect(findingsOf(stack, 'IAMNoAdminManagedPolicies')).toEqual([]);
  });

  test('non-compliant: AdministratorAccess on a role, PowerUserAccess and IAMFullAccess on a group', () => {
    const stack = testStack();
    const role = new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    const group = new iam.CfnGroup(stack, 'Group', {
      managedPolicyArns: ['arn:aws:iam::aws:policy/PowerUserAccess', 'arn:aws:iam::aws:policy/IAMFullAccess'],
    });
    expect(findingsOf(stack, 'IAMNoAdminManagedPolicies')).toEqual(
      [
        finding('IAMNoAdminManagedPolicies', role, 'Policy::AdministratorAccess'),
        finding('IAMNoAdminManagedPolicies', group, 'Policy::PowerUserAccess'),
        finding('IAMNoAdminManagedPolicies', group, 'Policy::IAMFullAccess'),
      ].sort(),
    );
  });

  test('intrinsic: an ARN built with Fn::Join and AWS::Partition is still read', () => {
    const stack = testStack();
    const role = new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      managedPolicyArns: [
        Fn.join('', ['arn:', stack.partition, ':iam::aws:policy/AdministratorAccess']),
        Fn.importValue('SomePolicy'),
      ],
    });
    expect(findingsOf(stack, 'IAMNoAdminManagedPolicies')).toEqual([
      finding('IAMNoAdminManagedPolicies', role, 'Policy::AdministratorAccess'),
    ]);
  });
});

describe('IAMNoInlinePolicies', () => {
  test('compliant: a role with only managed policies', () => {
    const stack = testStack();
    const policy = new iam.CfnManagedPolicy(stack, 'Managed', { policyDocument: doc(allow('s3:GetObject')) });
    new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: trust, managedPolicyArns: [policy.ref] });
    expect(findingsOf(stack, 'IAMNoInlinePolicies')).toEqual([]);
  });

  test('non-compliant: a Policies property, also on a role rendered as a plain CfnResource, and AWS::IAM::Policy', () => {
    const stack = testStack();
    const inline = [{ policyName: 'Inline', policyDocument: doc(allow('s3:GetObject')) }];
    const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: trust, policies: inline });
    // How CDK's CustomResourceProvider renders its role: not a CfnRole instance (cdk-nag's own rule skips it).
    const providerRole = new CfnResource(stack, 'ProviderRole', {
      type: 'AWS::IAM::Role',
      properties: { AssumeRolePolicyDocument: trust, Policies: [{ PolicyName: 'Inline', PolicyDocument: doc() }] },
    });
    const attached = new iam.CfnPolicy(stack, 'Attached', {
      policyName: 'p',
      policyDocument: doc(allow('s3:GetObject')),
      roles: [role.ref],
    });
    expect(findingsOf(stack, 'IAMNoInlinePolicies')).toEqual(
      [role, providerRole, attached].map((r) => finding('IAMNoInlinePolicies', r)).sort(),
    );
  });

  test('an inline policy removed by an escape hatch is compliant (rules read the rendered template)', () => {
    const stack = testStack();
    const role = new iam.CfnRole(stack, 'Role', {
      assumeRolePolicyDocument: trust,
      policies: [{ policyName: 'Inline', policyDocument: doc(allow('s3:GetObject')) }],
    });
    role.addPropertyDeletionOverride('Policies');
    expect(findingsOf(stack, 'IAMNoInlinePolicies')).toEqual([]);
  });
});
