import { resolveIntrinsics } from '../../verify/expected';
import { comparePolicies } from '../../verify/policy-diff';

const env = { account: '123456789012', region: 'us-east-1', partition: 'aws', physicalIds: { Role: 'role-name' } };

describe('resolveIntrinsics', () => {
  test('pseudo parameters, Ref, Fn::Join and Fn::Sub', () => {
    expect(
      resolveIntrinsics(
        {
          a: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
          b: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Role}' },
          c: [{ Ref: 'Role' }, 'x'],
        },
        env,
      ),
    ).toEqual({
      a: 'arn:aws:iam::123456789012:root',
      b: 'arn:aws:iam::123456789012:role/role-name',
      c: ['role-name', 'x'],
    });
  });

  test('anything else throws, so a comparison never passes on a value it could not compute', () => {
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Role', 'Arn'] }, env)).toThrow('cannot resolve Fn::GetAtt');
    expect(() => resolveIntrinsics({ Ref: 'Unknown' }, env)).toThrow('cannot resolve Ref Unknown');
  });
});

describe('comparePolicies', () => {
  const base = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'Svc',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      },
    ],
  };

  test('same meaning, other form: equal', () => {
    const reordered = {
      Version: '2012-10-17',
      Statement: [
        {
          ...base.Statement[1],
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
        { ...base.Statement[0], Principal: { AWS: ['arn:aws:iam::1:root'] }, Action: ['kms:*'] },
      ],
    };
    expect(comparePolicies(base, reordered)).toEqual([]);
  });

  test('a changed, a missing and an added statement are each named', () => {
    const drifted = {
      Statement: [
        { ...base.Statement[1], Principal: '*' },
        { Sid: 'Extra', Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
      ],
    };
    expect(comparePolicies(base, drifted)).toEqual([
      'unnamed statement #1 is missing',
      'statement "Svc" was changed',
      'statement "Extra" was added ("kms:Decrypt" for "*")',
    ]);
  });
});
