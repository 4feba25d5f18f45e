import { DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliDeps, main } from '../../verify/cli';
import { LiveReport } from '../../verify/output';
import { CREDENTIALS, find, healthyAccount, mocks, NOW, templates } from './support';

beforeAll(() => templates());
beforeEach(() => healthyAccount());

function sdkError(name: string, message = name) {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

async function run(args: string[], overrides: Partial<CliDeps> = {}) {
  const given = args.indexOf('--out');
  const out = given >= 0 ? args[given + 1] : mkdtempSync(join(tmpdir(), 'verify-cli-'));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(given >= 0 ? args : [...args, '--out', out], {
    credentials: async () => CREDENTIALS,
    templates: () => templates(),
    now: () => NOW,
    retry: { sleep: async () => undefined },
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    ...overrides,
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), out };
}

function liveReport(out: string): LiveReport {
  return JSON.parse(readFileSync(join(out, 'live-example.json'), 'utf8'));
}

describe('exit codes and output', () => {
  test('0 when the account keeps every promise; writes reports/live-<profile>.json', async () => {
    const { code, stdout, stderr, out } = await run(['--profile', 'example']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/verify: PASS; \d+ passed, 0 failed, 0 could not be checked/);
    const live = liveReport(out);
    expect(live).toMatchObject({ profile: 'example', account: '123456789012', region: 'us-east-1', verdict: 'PASS' });
    expect(live.checkedAt).toBe(NOW.toISOString());
    expect(live.stacks.map((s) => s.name)).toContain('HipaaKit-Example-Keys');
    expect(live.controls.find((c) => c.id === 'P08')).toMatchObject({ status: 'pass', checks: ['cognito.mfa-totp'] });
    expect(live.controls.find((c) => c.id === 'P04')).toMatchObject({ status: 'not-checked' });
  });

  test('1 when a check fails, with the drift in the summary', async () => {
    const key = find('AWS::KMS::Key', 'KeysLogsKey').physicalId;
    mocks.kms.on(GetKeyRotationStatusCommand, { KeyId: key }).resolves({ KeyRotationEnabled: false });
    const { code, stdout } = await run(['--profile', 'example']);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL  [KMS] Automatic key rotation is on: HipaaKit-Example-Keys/KeysLogsKey');
    expect(stdout).toContain('automatic rotation is off  (P05, 164.312(a)(2)(iv))');
    expect(stdout).toMatch(/verify: FAIL; \d+ passed, 1 failed/);
  });

  test.each([
    [[], /--profile <name> is required/],
    [['--profile'], /--profile needs a value/],
    [['--profile', 'example', '--bogus', '1'], /Unknown argument --bogus/],
    [['--profile', 'example', '--max-delivery-age', 'soon'], /must be a positive number/],
    [['--profile', 'nope'], /profile: "nope" is not defined/],
  ])('2 on usage errors: %j', async (args, message) => {
    const { code, stderr } = await run(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(mocks.sts).not.toHaveReceivedAnyCommand();
  });

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: npm run verify -- --profile <name>');
  });

  test('thresholds are configurable', async () => {
    const { code } = await run(['--profile', 'example', '--max-delivery-age', '2']);
    expect(code).toBe(1); // the healthy trail delivered 5 minutes ago
  });
});

describe('errors users meet: one line with the fix, exit 2', () => {
  test('no credentials', async () => {
    const started = Date.now();
    const { code, stderr } = await run(['--profile', 'example'], {
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^verify: No AWS credentials found \(Could not load credentials from any providers\)\. Fix: set AWS_PROFILE/,
    );
    expect(stderr.split('\n')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(mocks.sts).not.toHaveReceivedAnyCommand();
  });

  test('a credential chain that hangs (instance metadata) is cut off', async () => {
    const { code, stderr } = await run(['--profile', 'example'], {
      credentials: () => new Promise(() => undefined),
      credentialsTimeoutMs: 50,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('the credential chain gave none within 50 ms');
  });

  test('refused credentials', async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(sdkError('ExpiredToken', 'The security token included in the request is expired'));
    const { code, stderr } = await run(['--profile', 'example']);
    expect(code).toBe(2);
    expect(stderr).toContain('The AWS credentials were refused (ExpiredToken). Fix: refresh them');
  });

  test('wrong account', async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/dev' });
    const { code, stderr } = await run(['--profile', 'example']);
    expect(code).toBe(2);
    expect(stderr).toContain('The credentials are for account 999999999999');
    expect(stderr).toContain('profile example deploys to 123456789012');
    expect(mocks.cloudformation).not.toHaveReceivedAnyCommand();
  });

  test('wrong region', async () => {
    const { code, stderr } = await run(['--profile', 'example', '--region', 'eu-west-1']);
    expect(code).toBe(2);
    expect(stderr).toContain("--region eu-west-1 differs from profile example's region us-east-1");
  });

  test('stacks not deployed (or deployed elsewhere)', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand)
      .rejects(sdkError('ValidationError', 'Stack with id X does not exist'));
    const { code, stderr } = await run(['--profile', 'example']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /None of the kit's stacks .* is deployed in account 123456789012, region us-east-1\. Fix: deploy them/,
    );
  });

  test('one stack missing fails that stack (exit 1), the rest is still checked', async () => {
    mocks.cloudformation
      .on(DescribeStacksCommand, { StackName: 'HipaaKit-Example-Bastion' })
      .rejects(sdkError('ValidationError', 'Stack with id HipaaKit-Example-Bastion does not exist'));
    const { code, stdout, out } = await run(['--profile', 'example']);
    expect(code).toBe(1);
    expect(stdout).toContain('HipaaKit-Example-Bastion');
    expect(liveReport(out).missingStacks).toEqual(['HipaaKit-Example-Bastion']);
    expect(liveReport(out).checks.some((c) => c.id === 'ec2.bastion-imdsv2')).toBe(false);
  });

  test('a stack in a failed state fails', async () => {
    mocks.cloudformation.on(DescribeStacksCommand, { StackName: 'HipaaKit-Example-Data' }).resolves({
      Stacks: [{ StackName: 'HipaaKit-Example-Data', StackStatus: 'UPDATE_ROLLBACK_FAILED', CreationTime: NOW }],
    });
    const { code, stdout } = await run(['--profile', 'example']);
    expect(code).toBe(1);
    expect(stdout).toContain('status UPDATE_ROLLBACK_FAILED');
  });

  test('a synthesized resource missing from its deployed stack fails that stack', async () => {
    const trail = find('AWS::CloudTrail::Trail');
    mocks.cloudformation
      .on(ListStackResourcesCommand, { StackName: trail.stack })
      .resolves({ StackResourceSummaries: [] });
    const { code, stdout } = await run(['--profile', 'example']);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`synthesized resource\\(s\\) not deployed: .*${trail.logicalId}`));
  });

  test('AccessDenied names the missing permission; only the checks that needed it are unverifiable', async () => {
    mocks.kms.on(GetKeyRotationStatusCommand).rejects(sdkError('AccessDeniedException', 'User is not authorized'));
    const { code, stdout, out } = await run(['--profile', 'example']);
    expect(code).toBe(2);
    expect(stdout).toContain(
      'AccessDenied: the credentials lack kms:GetKeyRotationStatus. Fix: allow kms:GetKeyRotationStatus',
    );
    const live = liveReport(out);
    expect(live.verdict).toBe('INCOMPLETE');
    expect(new Set(live.checks.filter((c) => c.status === 'error').map((c) => c.area))).toEqual(new Set(['KMS']));
    expect(live.counts.fail).toBe(0);
  });

  test('a failed check wins over an unverifiable one (exit 1)', async () => {
    mocks.kms.on(GetKeyRotationStatusCommand).rejects(sdkError('AccessDeniedException'));
    mocks.cognito.on(GetUserPoolMfaConfigCommand).resolves({ MfaConfiguration: 'OPTIONAL' });
    const { code, out } = await run(['--profile', 'example']);
    expect(code).toBe(1);
    expect(liveReport(out).verdict).toBe('FAIL');
  });

  test('throttling is retried with backoff, then succeeds', async () => {
    const key = find('AWS::KMS::Key', 'KeysDataKey').physicalId;
    mocks.kms
      .on(DescribeKeyCommand, { KeyId: key })
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded'))
      .resolves({ KeyMetadata: { KeyId: key, KeyState: 'Enabled', Enabled: true } });
    const sleeps: number[] = [];
    const { code } = await run(['--profile', 'example'], {
      retry: { sleep: async (ms) => void sleeps.push(ms), baseDelayMs: 100 },
    });
    expect(code).toBe(0);
    expect(mocks.kms).toHaveReceivedCommandTimes(DescribeKeyCommand, 3 + 2);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });
});

describe('the live column in the compliance report', () => {
  function writeReport(out: string) {
    writeFileSync(
      join(out, 'compliance.json'),
      JSON.stringify({
        schemaVersion: '1.0.0',
        controls: [
          { kind: 'hipaa', id: '164.312(d)', title: 'Person or entity authentication', status: 'pass' },
          { kind: 'pillar', id: 'P08', title: 'Two-factor authentication', status: 'pass' },
          { kind: 'pillar', id: 'P04', title: 'PHI hidden', status: 'not-automated' },
        ],
      }),
    );
    writeFileSync(join(out, 'compliance.md'), '# Report\n\n## Control matrix\n\n| x |\n\n## Process register\n\nP17\n');
    writeFileSync(
      join(out, 'compliance.html'),
      '<html><body><main><section id="controls"></section><section id="process"></section></main></body></html>',
    );
  }

  test('merges into compliance.json/.md/.html side by side, once per run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'verify-merge-'));
    writeReport(out);
    mocks.cognito
      .on(GetUserPoolMfaConfigCommand)
      .resolves({ MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } });
    const first = await run(['--profile', 'example', '--out', out]);
    expect(first.code).toBe(1);
    await run(['--profile', 'example', '--out', out]);

    const json = JSON.parse(readFileSync(join(out, 'compliance.json'), 'utf8'));
    expect(json.live).toMatchObject({
      checkedAt: NOW.toISOString(),
      account: '123456789012',
      verdict: 'FAIL',
      file: 'live-example.json',
    });
    expect(json.controls[1]).toMatchObject({
      id: 'P08',
      status: 'pass',
      live: { status: 'fail', checks: ['cognito.mfa-totp'] },
    });
    expect(json.controls[2].live).toMatchObject({ status: 'not-checked' });

    const md = readFileSync(join(out, 'compliance.md'), 'utf8');
    expect(md.match(/## Synthesized and deployed, side by side/g)).toHaveLength(1);
    expect(md).toContain(
      `| **P08** | Two-factor authentication | pass | Fail | \`cognito.mfa-totp\` | ${NOW.toISOString()} |`,
    );
    expect(md.indexOf('side by side')).toBeLessThan(md.indexOf('## Process register'));

    const html = readFileSync(join(out, 'compliance.html'), 'utf8');
    expect(html.match(/<section id="live">/g)).toHaveLength(1);
    expect(html).toContain('<span class="badge s-fail">Fail</span>');
    expect(html.indexOf('id="live"')).toBeLessThan(html.indexOf('id="process"'));
  });

  test('without a compliance report only live-<profile>.json is written', async () => {
    const { stdout } = await run(['--profile', 'example']);
    expect(stdout).not.toContain('added the live column');
  });
});

describe('discovery', () => {
  test('a deleted stack counts as not deployed; other CloudFormation errors are not swallowed', async () => {
    mocks.cloudformation.on(DescribeStacksCommand, { StackName: 'HipaaKit-Example-Bastion' }).resolves({
      Stacks: [{ StackName: 'HipaaKit-Example-Bastion', StackStatus: 'DELETE_COMPLETE', CreationTime: NOW }],
    });
    expect(liveReport((await run(['--profile', 'example'])).out).missingStacks).toEqual(['HipaaKit-Example-Bastion']);

    mocks.cloudformation
      .on(DescribeStacksCommand, { StackName: 'HipaaKit-Example-Keys' })
      .rejects(sdkError('ValidationError', 'Template format error'));
    await expect(run(['--profile', 'example'])).rejects.toThrow('Template format error');
  });
});
