import {
  credentialAttributes,
  CustomResourceEvent,
  makeHandler,
  PlatformApplicationProperties,
  PushPlatformApi,
} from '../constructs/push-platform-handler/index.cjs';

const SIGNING_KEY =
  '-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgSECRET\n-----END PRIVATE KEY-----';
const APNS_SECRET = JSON.stringify({
  signingKey: SIGNING_KEY,
  keyId: 'ABC123DEFG',
  teamId: 'TEAM123456',
  bundleId: 'org.example.msg',
});
const FCM_SECRET = JSON.stringify({
  type: 'service_account',
  project_id: 'example-msg',
  client_email: 'push@example-msg.iam.gserviceaccount.com',
  private_key: SIGNING_KEY,
});
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:hipaa-kit-example-push-events';
const APNS_ARN = 'arn:aws:sns:us-east-1:123456789012:app/APNS/hipaa-kit-example-apns';

/** An in-memory stand-in for Secrets Manager and SNS: records every call, no network. */
function fakeApi(secrets: Record<string, string>) {
  const calls: { op: string; args: unknown[] }[] = [];
  const api: PushPlatformApi = {
    async getSecretString(id) {
      calls.push({ op: 'getSecretString', args: [id] });
      return secrets[id];
    },
    async createPlatformApplication(name, platform, attributes) {
      calls.push({ op: 'create', args: [name, platform, attributes] });
      return `arn:aws:sns:us-east-1:123456789012:app/${platform}/${name}`;
    },
    async setPlatformApplicationAttributes(arn, attributes) {
      calls.push({ op: 'set', args: [arn, attributes] });
    },
    async deletePlatformApplication(arn) {
      calls.push({ op: 'delete', args: [arn] });
    },
  };
  return { api, calls };
}

const apnsProps: PlatformApplicationProperties = {
  Name: 'hipaa-kit-example-apns',
  Platform: 'APNS',
  SecretName: 'kit/apns',
  EventTopicArn: TOPIC,
};

describe('credentialAttributes', () => {
  test('APNs token auth maps the secret JSON to SNS attributes', () => {
    expect(credentialAttributes('APNS', APNS_SECRET, 'kit/apns')).toEqual({
      PlatformCredential: SIGNING_KEY,
      PlatformPrincipal: 'ABC123DEFG',
      ApplePlatformTeamID: 'TEAM123456',
      ApplePlatformBundleID: 'org.example.msg',
    });
  });

  test('FCM HTTP v1 passes the whole service-account JSON as the credential', () => {
    expect(credentialAttributes('GCM', FCM_SECRET, 'kit/fcm')).toEqual({ PlatformCredential: FCM_SECRET });
  });

  test('an FCM legacy server key (not a service account) is refused', () => {
    expect(() => credentialAttributes('GCM', JSON.stringify({ key: 'AAAA' }), 'kit/fcm')).toThrow(/service-account/);
  });

  test('a missing APNs field names the field, not its value', () => {
    const secret = JSON.stringify({ signingKey: SIGNING_KEY, keyId: 'ABC123DEFG', teamId: 'TEAM123456' });
    expect(() => credentialAttributes('APNS', secret, 'kit/apns')).toThrow('field "bundleId" is missing or malformed');
  });

  test('a malformed secret never leaks its content into the error', () => {
    const notJson = `SECRET-MATERIAL ${SIGNING_KEY}`;
    let message = '';
    try {
      credentialAttributes('APNS', notJson, 'kit/apns');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('secret kit/apns is not a JSON object');
    expect(message).not.toContain('SECRET');
  });
});

describe('handler', () => {
  test('Create reads the named secret and returns only the ARN', async () => {
    const { api, calls } = fakeApi({ 'kit/apns': APNS_SECRET });
    const out = await makeHandler(api)({ RequestType: 'Create', ResourceProperties: apnsProps });

    expect(calls.map((c) => c.op)).toEqual(['getSecretString', 'create']);
    expect(calls[0].args).toEqual(['kit/apns']);
    const [name, platform, attributes] = calls[1].args as [string, string, Record<string, string>];
    expect([name, platform]).toEqual(['hipaa-kit-example-apns', 'APNS']);
    expect(attributes).toMatchObject({
      PlatformPrincipal: 'ABC123DEFG',
      EventEndpointCreated: TOPIC,
      EventEndpointDeleted: TOPIC,
      EventEndpointUpdated: TOPIC,
      EventDeliveryFailure: TOPIC,
    });
    expect(out).toEqual({ PhysicalResourceId: APNS_ARN, Data: { PlatformApplicationArn: APNS_ARN } });
    expect(JSON.stringify(out)).not.toContain('PRIVATE KEY');
  });

  test('Update with the same name and platform re-applies credentials in place', async () => {
    const { api, calls } = fakeApi({ 'kit/apns': APNS_SECRET });
    const event: CustomResourceEvent = {
      RequestType: 'Update',
      ResourceProperties: { ...apnsProps, SecretName: 'kit/apns' },
      OldResourceProperties: { ...apnsProps, SecretName: 'kit/apns-old' },
      PhysicalResourceId: APNS_ARN,
    };
    const out = await makeHandler(api)(event);
    expect(calls.map((c) => c.op)).toEqual(['getSecretString', 'set']);
    expect(calls[1].args[0]).toBe(APNS_ARN);
    expect(out.PhysicalResourceId).toBe(APNS_ARN);
  });

  test('Update to the sandbox platform creates a new application (CloudFormation deletes the old)', async () => {
    const { api, calls } = fakeApi({ 'kit/apns': APNS_SECRET });
    const out = await makeHandler(api)({
      RequestType: 'Update',
      ResourceProperties: { ...apnsProps, Platform: 'APNS_SANDBOX' },
      OldResourceProperties: apnsProps,
      PhysicalResourceId: APNS_ARN,
    });
    expect(calls.map((c) => c.op)).toEqual(['getSecretString', 'create']);
    expect(out.PhysicalResourceId).toBe('arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/hipaa-kit-example-apns');
  });

  test('Delete removes the application named by the physical id', async () => {
    const { api, calls } = fakeApi({});
    await makeHandler(api)({ RequestType: 'Delete', ResourceProperties: apnsProps, PhysicalResourceId: APNS_ARN });
    expect(calls).toEqual([{ op: 'delete', args: [APNS_ARN] }]);
  });

  test('Delete after a failed Create (no ARN) calls nothing', async () => {
    const { api, calls } = fakeApi({});
    const out = await makeHandler(api)({
      RequestType: 'Delete',
      ResourceProperties: apnsProps,
      PhysicalResourceId: 'a1b2c3-request-id',
    });
    expect(calls).toEqual([]);
    expect(out.PhysicalResourceId).toBe('a1b2c3-request-id');
  });

  test('an unknown platform fails before any secret is read', async () => {
    const { api, calls } = fakeApi({ 'kit/apns': APNS_SECRET });
    const bad = { ...apnsProps, Platform: 'ADM' } as unknown as PlatformApplicationProperties;
    await expect(makeHandler(api)({ RequestType: 'Create', ResourceProperties: bad })).rejects.toThrow(/Platform/);
    expect(calls).toEqual([]);
  });

  test('a secret without SecretString fails with a clear message', async () => {
    const { api } = fakeApi({});
    await expect(makeHandler(api)({ RequestType: 'Create', ResourceProperties: apnsProps })).rejects.toThrow(
      'secret kit/apns has no SecretString',
    );
  });
});
