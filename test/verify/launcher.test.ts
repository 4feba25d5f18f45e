import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const launcher = join(__dirname, '..', '..', 'bin', 'hipaa-messaging-kit.js');
const run = (...args: string[]) => spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8' });

test('the package bin runs `verify` with its arguments', () => {
  const help = run('verify', '--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('usage: npm run verify -- --profile <name>');
  const bad = run('verify', '--profile', 'nope');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('verify: config: profile: "nope" is not defined');
});

test('an unknown command is a usage error', () => {
  const result = run('deploy');
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('unknown command "deploy"');
});
