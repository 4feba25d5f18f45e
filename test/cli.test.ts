import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs the CDK app entry point the way `cdk synth` does, with the given context. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'kit-cli-'));
  try {
    return spawnSync(join(__dirname, '..', 'node_modules', '.bin', 'tsx'), ['bin/hipaa-messaging-kit.ts'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      encoding: 'utf8',
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('bad configuration at the command line', () => {
  test('fails with one line naming the field and the fix, and no stack trace', () => {
    const result = runApp({ overrides: JSON.stringify({ adminCidrs: ['0.0.0.0/0'] }) });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'hipaa-kit: adminCidrs[0]: "0.0.0.0/0" would open SSH to the whole internet; list your office or VPN egress CIDRs',
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a profile without an exception owner fails synth naming governance.exceptionOwner', () => {
    const result = runApp({ overrides: JSON.stringify({ governance: { exceptionOwner: '' } }) });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'hipaa-kit: governance.exceptionOwner: name the role or team that owns accepted findings, e.g. "Platform security lead"',
    ]);
  });

  test('an unknown profile is named', () => {
    const result = runApp({ profile: 'production' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^hipaa-kit: profile: "production" is not defined/);
  });
});
