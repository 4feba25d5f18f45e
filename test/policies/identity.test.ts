import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { finding, findingsOf, testStack } from './support';

function pool(stack: Stack, props: Partial<cognito.CfnUserPoolProps> = {}, id = 'Pool') {
  return new cognito.CfnUserPool(stack, id, { mfaConfiguration: 'ON', enabledMfas: ['SOFTWARE_TOKEN_MFA'], ...props });
}

function client(stack: Stack, props: Partial<cognito.CfnUserPoolClientProps> = {}, id = 'Client') {
  return new cognito.CfnUserPoolClient(stack, id, {
    userPoolId: 'us-east-1_x',
    accessTokenValidity: 15,
    idTokenValidity: 15,
    tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes' },
    ...props,
  });
}

function identityPool(stack: Stack, allow: boolean | string, id = 'Identities') {
  return new cognito.CfnIdentityPool(stack, id, { allowUnauthenticatedIdentities: allow as boolean });
}

describe('CognitoMfaRequiredTotpOnly', () => {
  test('compliant: MFA ON with TOTP only', () => {
    const stack = testStack();
    pool(stack);
    expect(findingsOf(stack, 'CognitoMfaRequiredTotpOnly')).toEqual([]);
  });

  test('non-compliant: optional MFA, SMS offered, MFA off', () => {
    const stack = testStack();
    const optional = pool(stack, { mfaConfiguration: 'OPTIONAL' }, 'Optional');
    const sms = pool(stack, { enabledMfas: ['SOFTWARE_TOKEN_MFA', 'SMS_MFA'] }, 'Sms');
    const off = pool(stack, { mfaConfiguration: undefined, enabledMfas: undefined }, 'Off');
    expect(findingsOf(stack, 'CognitoMfaRequiredTotpOnly')).toEqual(
      [optional, sms, off].map((p) => finding('CognitoMfaRequiredTotpOnly', p)).sort(),
    );
  });

  test('intrinsic: a parameter-valued MFA setting fails closed', () => {
    const stack = testStack();
    const p = pool(stack, { mfaConfiguration: new CfnParameter(stack, 'Mfa').valueAsString });
    expect(findingsOf(stack, 'CognitoMfaRequiredTotpOnly')).toEqual([finding('CognitoMfaRequiredTotpOnly', p)]);
  });
});

describe('CognitoShortTokenValidity', () => {
  test('compliant: 15 minutes, or 900 seconds', () => {
    const stack = testStack();
    client(stack);
    client(
      stack,
      {
        accessTokenValidity: 900,
        idTokenValidity: 600,
        tokenValidityUnits: { accessToken: 'seconds', idToken: 'seconds' },
      },
      'Seconds',
    );
    expect(findingsOf(stack, 'CognitoShortTokenValidity')).toEqual([]);
  });

  test('non-compliant: defaults (60 minutes), and 15 counted in the default unit (hours)', () => {
    const stack = testStack();
    const defaults = client(stack, { accessTokenValidity: undefined, idTokenValidity: undefined }, 'Defaults');
    const hours = client(stack, { tokenValidityUnits: undefined }, 'Hours');
    const minutesDefault = client(
      stack,
      {
        accessTokenValidity: 5,
        idTokenValidity: undefined,
        tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes' },
      },
      'IdDefault',
    );
    expect(findingsOf(stack, 'CognitoShortTokenValidity')).toEqual(
      [
        finding('CognitoShortTokenValidity', defaults, 'AccessTokenValidity'),
        finding('CognitoShortTokenValidity', defaults, 'IdTokenValidity'),
        finding('CognitoShortTokenValidity', hours, 'AccessTokenValidity'),
        finding('CognitoShortTokenValidity', hours, 'IdTokenValidity'),
        finding('CognitoShortTokenValidity', minutesDefault, 'IdTokenValidity'),
      ].sort(),
    );
  });

  test('intrinsic: a parameter-valued validity fails closed', () => {
    const stack = testStack();
    const c = client(stack, { accessTokenValidity: new CfnParameter(stack, 'Ttl', { type: 'Number' }).valueAsNumber });
    expect(findingsOf(stack, 'CognitoShortTokenValidity')).toEqual([
      finding('CognitoShortTokenValidity', c, 'AccessTokenValidity'),
    ]);
  });
});

describe('CognitoNoUnauthenticatedIdentities', () => {
  test('compliant: guests refused', () => {
    const stack = testStack();
    identityPool(stack, false);
    expect(findingsOf(stack, 'CognitoNoUnauthenticatedIdentities')).toEqual([]);
  });

  test('non-compliant: guests allowed', () => {
    const stack = testStack();
    const p = identityPool(stack, true);
    expect(findingsOf(stack, 'CognitoNoUnauthenticatedIdentities')).toEqual([
      finding('CognitoNoUnauthenticatedIdentities', p),
    ]);
  });

  test('intrinsic: an imported flag fails closed', () => {
    const stack = testStack();
    const p = identityPool(stack, Fn.importValue('AllowGuests'));
    expect(findingsOf(stack, 'CognitoNoUnauthenticatedIdentities')).toEqual([
      finding('CognitoNoUnauthenticatedIdentities', p),
    ]);
  });
});
