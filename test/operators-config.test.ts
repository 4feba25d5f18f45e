import { readFileSync } from 'node:fs';
import { ConfigError, KitConfig } from '../core/config';
import { operatorProblems } from '../lib/operator-validation';
import { PROFILES, resolveConfig } from '../lib/profiles';

const example = PROFILES.example;
const [alice, bob] = example.bastion.operators;

/** Resolves the example profile with these operators (and other bastion fields); returns the problem lines. */
function problemsWith(bastion: object): string[] {
  try {
    resolveConfig('example', { bastion });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('bastion.operators (issue 16: one account per person)', () => {
  test('the example profile names two operators, one with an end date', () => {
    expect(example.bastion.operators.map((o) => o.name)).toEqual(['alice', 'bob']);
    expect(problemsWith({})).toEqual([]);
  });

  // Each case gives exactly one line, naming the field and the fix.
  const cases: [string, object, RegExp][] = [
    [
      'no operators (the bastion would only have the shared break-glass login)',
      { operators: [] },
      /^bastion\.operators: the bastion is enabled but lists no operators; add one entry per person/,
    ],
    [
      'two people on one key (a shared login)',
      { operators: [alice, { name: 'carol', sshPublicKey: alice.sshPublicKey }] },
      /^bastion\.operators\[1\]\.sshPublicKey: is the same key \(SHA256:[A-Za-z0-9+/]{43}\) as bastion\.operators\[0\]; a shared key is a shared login/,
    ],
    [
      'an operator on the break-glass key',
      { operators: [{ name: 'carol', sshPublicKey: example.bastion.sshPublicKey }] },
      /^bastion\.operators\[0\]\.sshPublicKey: is the same key .* as bastion\.sshPublicKey \(break-glass\)/,
    ],
    [
      'the same name twice',
      { operators: [alice, { ...bob, name: 'alice' }] },
      /^bastion\.operators\[1\]\.name: "alice" is already bastion\.operators\[0\]/,
    ],
    [
      'the shared ec2-user',
      { operators: [{ ...alice, name: 'ec2-user' }] },
      /^bastion\.operators\[0\]\.name: .*must be 2-32 lower-case/,
    ],
    [
      'root',
      { operators: [{ ...alice, name: 'root' }] },
      /^bastion\.operators\[0\]\.name: "root" is a system, shared or database-reserved name/,
    ],
    [
      'a database-reserved prefix',
      { operators: [{ ...alice, name: 'hmk_ops' }] },
      /^bastion\.operators\[0\]\.name: "hmk_ops" is a system, shared or database-reserved/,
    ],
    [
      'an upper-case name',
      { operators: [{ ...alice, name: 'Alice' }] },
      /^bastion\.operators\[0\]\.name: "Alice" must be 2-32 lower-case/,
    ],
    [
      'a truncated key',
      { operators: [{ ...alice, sshPublicKey: alice.sshPublicKey.slice(0, 60) }] },
      /^bastion\.operators\[0\]\.sshPublicKey: is not a usable OpenSSH public key: .*; paste the whole \.pub file line/,
    ],
    [
      'no key',
      { operators: [{ name: 'alice' }] },
      /^bastion\.operators\[0\]\.sshPublicKey: give the person's own OpenSSH public key/,
    ],
    [
      'a date that does not exist',
      { operators: [{ ...alice, expires: '2027-02-30' }] },
      /^bastion\.operators\[0\]\.expires: "2027-02-30" is not a calendar day; write YYYY-MM-DD/,
    ],
    [
      'a past end date',
      { operators: [{ ...alice, expires: '2020-01-31' }] },
      /^bastion\.operators\[0\]\.expires: 2020-01-31 has passed, so alice no longer has access; remove the entry/,
    ],
    [
      'an unknown field',
      { operators: [{ ...alice, sudo: true }] },
      /^bastion\.operators\[0\]\.sudo: is not an operator field/,
    ],
    ['not a list', { operators: 'alice' }, /^bastion\.operators: must be a list of operators/],
  ];
  test.each(cases)('%s: one line naming the field and the fix', (_, bastion, expected) => {
    const problems = problemsWith(bastion);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test('expiry is judged on the UTC day: the last day still counts, the day after does not', () => {
    const bastion = { ...example.bastion, operators: [{ ...alice, expires: '2027-03-31' }] } as KitConfig['bastion'];
    expect(operatorProblems(bastion, new Date('2027-03-31T23:59:59Z'))).toEqual([]);
    expect(operatorProblems(bastion, new Date('2027-04-01T00:00:00Z'))).toEqual([
      'bastion.operators[0].expires: 2027-03-31 has passed, so alice no longer has access; remove the entry (or extend the date if access was renewed)',
    ]);
  });

  test('a 4096-bit RSA key made by ssh-keygen is accepted', () => {
    const rsa = readFileSync(`${__dirname}/fixtures/operator-rsa4096.pub`, 'utf8').trim();
    expect(problemsWith({ operators: [alice, { name: 'dana', sshPublicKey: rsa }] })).toEqual([]);
  });

  test('a disabled bastion needs no operators', () => {
    expect(problemsWith({ enabled: false, operators: [] })).toEqual([]);
  });
});
