import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createServer, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { caller, defaultCredentialChain, resolveCredentials } from '../../verify/aws';
import { AccessDeniedError, VerifyError } from '../../verify/errors';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

beforeEach(() => kms.reset());

describe('call(): retries and permission errors', () => {
  test('gives up after maxAttempts of throttling, with growing backoff', async () => {
    kms.on(DescribeKeyCommand).rejects(throttled());
    const sleeps: number[] = [];
    const call = caller({ maxAttempts: 4, baseDelayMs: 1000, sleep: async (ms) => void sleeps.push(ms) });
    await expect(call(client, new DescribeKeyCommand({ KeyId: 'k' }))).rejects.toThrow('Rate exceeded');
    expect(kms).toHaveReceivedCommandTimes(DescribeKeyCommand, 4);
    expect(sleeps).toHaveLength(3);
    sleeps.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(1000 * 2 ** i));
  });

  test('retries a 5xx, not a 4xx', async () => {
    kms
      .on(DescribeKeyCommand)
      .rejectsOnce(
        Object.assign(new Error('boom'), { name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ KeyMetadata: { KeyId: 'k' } });
    const call = caller({ sleep: async () => undefined });
    await expect(call(client, new DescribeKeyCommand({ KeyId: 'k' }))).resolves.toMatchObject({
      KeyMetadata: { KeyId: 'k' },
    });

    kms.reset();
    kms
      .on(DescribeKeyCommand)
      .rejects(Object.assign(new Error('no key'), { name: 'NotFoundException', $metadata: { httpStatusCode: 400 } }));
    await expect(call(client, new DescribeKeyCommand({ KeyId: 'k' }))).rejects.toThrow('no key');
    expect(kms).toHaveReceivedCommandTimes(DescribeKeyCommand, 1);
  });

  test('AccessDenied becomes one line naming the IAM action, without retries', async () => {
    kms.on(DescribeKeyCommand).rejects(
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const call = caller({ sleep: async () => undefined });
    const error = await call(client, new DescribeKeyCommand({ KeyId: 'k' })).catch((e) => e);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).line).toBe(
      'AccessDenied: the credentials lack kms:DescribeKey. Fix: allow kms:DescribeKey (the whole read-only policy is verify/read-only-policy.json)',
    );
    expect(kms).toHaveReceivedCommandTimes(DescribeKeyCommand, 1);
  });

  test('a command without a mapped IAM action is refused before it is sent', async () => {
    class UnmappedCommand {}
    await expect(caller()(client, new UnmappedCommand())).rejects.toThrow('no IAM action mapped for UnmappedCommand');
  });
});

describe('credentials', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('the real default chain, with nothing configured, fails in under 10 s with one clear line', async () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    // Instance metadata on an address that never answers: the 1 s provider timeout must cut it.
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = 'http://10.255.255.1';
    const started = Date.now();
    const error = await resolveCredentials(defaultCredentialChain()).catch((e) => e);
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).line).toMatch(/^No AWS credentials found \(.+\)\. Fix: set AWS_PROFILE/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 15_000);

  test('an instance metadata endpoint that accepts but never answers does not hang the chain', async () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket)); // never writes a byte
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const error = await resolveCredentials(defaultCredentialChain()).catch((e) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(VerifyError);
      expect(sockets.length).toBeGreaterThan(0); // instance metadata was really asked
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  }, 15_000);

  test('credentials from the environment are used as they are', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    await expect(resolveCredentials(defaultCredentialChain())).resolves.toMatchObject({ accessKeyId: 'AKIDENV' });
  });
});
