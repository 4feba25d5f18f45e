import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_PERMISSIONS } from '../../verify/permissions';

const VERIFY_DIR = join(__dirname, '..', '..', 'verify');
const policy = JSON.parse(readFileSync(join(VERIFY_DIR, 'read-only-policy.json'), 'utf8'));
const granted: string[] = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);

/** Every SDK command the verifier's code constructs, read from its source. */
function commandsInSource(): string[] {
  return readdirSync(VERIFY_DIR)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(VERIFY_DIR, f), 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1]));
}

test('every command the code sends has an IAM action mapped', () => {
  const commands = [...new Set(commandsInSource())];
  expect(commands.length).toBeGreaterThan(25);
  expect(commands.filter((c) => !(c in COMMAND_PERMISSIONS))).toEqual([]);
});

test('verify/read-only-policy.json grants every mapped action, and nothing else', () => {
  const needed = [...new Set(Object.values(COMMAND_PERMISSIONS))].sort();
  expect([...granted].sort()).toEqual(needed);
});

test('the policy is read-only: Get/List/Describe actions only, no wildcard action', () => {
  for (const action of granted) expect(action).toMatch(/^[a-z0-9-]+:(Get|List|Describe)[A-Za-z0-9]+$/);
  expect(policy.Statement.every((s: { Effect: string }) => s.Effect === 'Allow')).toBe(true);
});

test('no mapped command is unused (the policy grants nothing the code does not call)', () => {
  const used = new Set(commandsInSource());
  expect(Object.keys(COMMAND_PERMISSIONS).filter((c) => !used.has(c))).toEqual([]);
});
