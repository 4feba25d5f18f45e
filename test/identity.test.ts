import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { HardenedUserPool } from '../constructs/hardened-user-pool';
import { IdentityStack } from '../lib/identity-stack';
import { KeysStack } from '../lib/keys-stack';
import { testConfig } from './support/kit';

/**
 * Builds only the stacks the identity stack depends on (keys), wired as buildKit wires them,
 * so these tests stay fast and do not depend on the other stacks.
 */
function identityStack(overrides: object = {}): IdentityStack {
  const config = testConfig(overrides);
  const app = new App({ builtinCloudFormationValidation: false });
  const keys = new KeysStack(app, 'HipaaKit-Example-Keys', { config });
  return new IdentityStack(app, 'HipaaKit-Example-Identity', { config, keys: keys.keys });
}

const FCM_ONLY = { push: { fcmSecretName: 'x/fcm' } };
const BOTH = { push: { apnsSecretName: 'x/apns', fcmSecretName: 'x/fcm', apnsSandbox: true } };

describe('user pool', () => {
  const template = Template.fromStack(identityStack());

  test('TOTP MFA is required on every sign-in; SMS and email factors are off', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  test('Plus feature plan with threat protection enforced', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolRiskConfigurationAttachment', {
      ClientId: 'ALL',
      CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: 'BLOCK' } },
      AccountTakeoverRiskConfiguration: {
        Actions: Match.objectLike({ HighAction: Match.objectLike({ EventAction: 'BLOCK' }) }),
      },
    });
  });

  test('passwords: at least 14 characters of every character class, no reuse', () => {
    const pool = Object.values(template.findResources('AWS::Cognito::UserPool'))[0];
    const policy = pool.Properties.Policies.PasswordPolicy;
    expect(policy.MinimumLength).toBeGreaterThanOrEqual(14);
    expect(policy).toMatchObject({
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(policy.PasswordHistorySize).toBeGreaterThan(0);
  });

  test('deletion protection on, and retained when the stack is deleted', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('sign-in by case-insensitive username; recovery by verified email only', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameConfiguration: { CaseSensitive: false },
      UsernameAttributes: Match.absent(),
      AliasAttributes: Match.absent(),
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  test('enterprise mode: only administrators create users', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  test('public mode: self sign-up with a verified email address', () => {
    const pub = Template.fromStack(identityStack({ directoryMode: 'public' }));
    pub.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      AutoVerifiedAttributes: ['email'],
      VerificationMessageTemplate: Match.objectLike({ DefaultEmailOption: 'CONFIRM_WITH_CODE' }),
      Schema: Match.arrayWith([Match.objectLike({ Name: 'email', Required: true })]),
      MfaConfiguration: 'ON',
    });
  });

  test('the groups the service reads from cognito:groups', () => {
    const names = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties.GroupName,
    );
    expect(names.sort()).toEqual(['admin', 'auditor', 'clinician', 'member']);
  });
});

describe('app client', () => {
  const template = Template.fromStack(identityStack());
  const client = () => Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0].Properties;

  test('a public mobile client: no secret, SRP only, no OAuth', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    expect(client()).toMatchObject({
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  test('access and ID tokens are valid for at most 15 minutes', () => {
    const c = client();
    expect(c.TokenValidityUnits).toMatchObject({ AccessToken: 'minutes', IdToken: 'minutes' });
    expect(c.AccessTokenValidity).toBeLessThanOrEqual(15);
    expect(c.IdTokenValidity).toBeLessThanOrEqual(15);
  });

  test('a token validity over 15 minutes is refused', () => {
    expect(
      () =>
        new HardenedUserPool(new Stack(), 'Users', {
          directoryMode: 'enterprise',
          tokenValidity: Duration.minutes(16),
        }),
    ).toThrow(/at most 15 minutes/);
  });

  test('refresh tokens rotate on every use and last at most a day', () => {
    const c = client();
    expect(c.RefreshTokenRotation).toEqual({ Feature: 'ENABLED', RetryGracePeriodSeconds: 10 });
    expect(c.TokenValidityUnits.RefreshToken).toBe('minutes');
    expect(c.RefreshTokenValidity).toBeLessThanOrEqual(24 * 60);
  });
});

describe('identity pool', () => {
  const template = Template.fromStack(identityStack());

  test('authenticated identities only, enhanced flow only, server-side token check', () => {
    template.hasResourceProperties('AWS::Cognito::IdentityPool', {
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
      CognitoIdentityProviders: [Match.objectLike({ ServerSideTokenCheck: true })],
    });
  });

  test('only an authenticated role is attached; no unauthenticated role exists', () => {
    const attachment = Object.values(template.findResources('AWS::Cognito::IdentityPoolRoleAttachment'))[0];
    expect(Object.keys(attachment.Properties.Roles)).toEqual(['authenticated']);
    const cognitoRoles = Object.values(template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('cognito-identity.amazonaws.com'),
    );
    expect(cognitoRoles).toHaveLength(1);
    expect(cognitoRoles[0].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: expect.objectContaining({
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        }),
      }),
    ]);
  });

  test('the authenticated role grants nothing', () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('Signed-in mobile users') },
    });
    const [roleId, role] = Object.entries(roles)[0];
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const policy of Object.values(template.findResources(type))) {
        expect(JSON.stringify(policy.Properties.Roles ?? [])).not.toContain(roleId);
      }
    }
  });
});

describe('push disabled (no push secret names)', () => {
  const stack = identityStack();
  const template = Template.fromStack(stack);

  test('no platform applications, Lambdas or push topic are created', () => {
    template.resourceCountIs('Custom::SnsPlatformApplication', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(stack.platformApplicationArns).toEqual({});
    expect(stack.pushEventsTopic).toBeUndefined();
  });

  test('a synth-time info note says push is off and how to enable it', () => {
    Annotations.fromStack(stack).hasInfo(
      '/HipaaKit-Example-Identity',
      Match.stringLikeRegexp('push notifications are disabled.*push.apnsSecretName'),
    );
  });
});

describe('push enabled', () => {
  test('FCM only: one GCM platform application from the named secret', () => {
    const stack = identityStack(FCM_ONLY);
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::SnsPlatformApplication', 1);
    template.hasResourceProperties('Custom::SnsPlatformApplication', {
      Name: 'hipaa-kit-example-fcm',
      Platform: 'GCM',
      SecretName: 'x/fcm',
      EventTopicArn: { Ref: Match.stringLikeRegexp('PushEventsTopic') },
    });
    expect(stack.platformApplicationArns).toEqual({
      fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/hipaa-kit-example-fcm',
      apns: undefined,
    });
    Annotations.fromStack(stack).hasNoInfo('*', Match.stringLikeRegexp('push notifications are disabled'));
  });

  test('both, with the APNs sandbox', () => {
    const stack = identityStack(BOTH);
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::SnsPlatformApplication', 2);
    template.hasResourceProperties('Custom::SnsPlatformApplication', {
      Name: 'hipaa-kit-example-apns',
      Platform: 'APNS_SANDBOX',
      SecretName: 'x/apns',
    });
    expect(stack.platformApplicationArns.apns).toBe(
      'arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/hipaa-kit-example-apns',
    );
  });

  describe('hardening', () => {
    const template = Template.fromStack(identityStack(BOTH));
    const json = JSON.stringify(template.toJSON());

    test('templates carry secret names only, never credentials', () => {
      for (const cr of Object.values(template.findResources('Custom::SnsPlatformApplication'))) {
        expect(Object.keys(cr.Properties).sort()).toEqual([
          'EventTopicArn',
          'Name',
          'Platform',
          'SecretName',
          'ServiceToken',
        ]);
      }
      for (const marker of ['PlatformCredential', 'PlatformPrincipal', 'PRIVATE KEY', 'private_key', 'signingKey']) {
        expect(json).not.toContain(marker);
      }
    });

    test('the events topic is encrypted with the data key and refuses non-TLS publishers', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: 'hipaa-kit-example-push-events',
        KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('DataKey') },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    test('Lambdas: latest Node.js runtime, outside the VPC, logging to pre-created CMK log groups', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(2);
      const logGroups = template.findResources('AWS::Logs::LogGroup');
      // cdk-nag AwsSolutions-L1 compares against the newest runtime of the family that aws-cdk-lib knows.
      const newestNode = lambda.Runtime.ALL.map((r) => r.name)
        .filter((n) => /^nodejs\d+\.x$/.test(n))
        .sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))
        .pop();
      for (const fn of functions) {
        expect(fn.Properties.Runtime).toBe(newestNode);
        expect(fn.Properties.VpcConfig).toBeUndefined();
        const logGroup = logGroups[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect(logGroup).toBeDefined();
      }
      for (const logGroup of Object.values(logGroups)) {
        expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::ImportValue': expect.stringMatching(/LogsKey/) });
        expect(logGroup.Properties.RetentionInDays).toBe(731);
        expect(logGroup.DeletionPolicy).toBe('Retain');
      }
    });

    test('the handler reads only the two named secrets', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'secretsmanager:GetSecretValue',
              Resource: [
                'arn:aws:secretsmanager:us-east-1:123456789012:secret:x/apns-??????',
                'arn:aws:secretsmanager:us-east-1:123456789012:secret:x/fcm-??????',
              ],
            }),
          ]),
        },
      });
    });

    test('no wildcard actions; Resource "*" only for the SNS platform-application actions', () => {
      for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy'))) {
        for (const s of policy.Properties.PolicyDocument.Statement) {
          const actions = [s.Action].flat() as string[];
          expect(actions.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
          if ([s.Resource].flat().includes('*')) {
            expect(actions.sort()).toEqual([
              'sns:CreatePlatformApplication',
              'sns:DeletePlatformApplication',
              'sns:SetPlatformApplicationAttributes',
            ]);
          }
        }
      }
    });

    test('no inline policies and no AWS managed policies', () => {
      template.resourceCountIs('AWS::IAM::Policy', 0);
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.Policies).toBeUndefined();
        expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toContain(':iam::aws:policy');
      }
    });
  });
});
