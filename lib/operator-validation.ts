/**
 * Validation of `bastion.operators` (issue 16, pillar P02): named people, each with their own fully parsed key,
 * no key shared between two entries (or with the break-glass key), and no end date already past.
 */
import { BastionConfig } from '../core/config';
import { OPERATOR_NAME, RESERVED_OPERATOR_NAMES, RESERVED_OPERATOR_PREFIXES } from '../core/operators';
import { parseSshPublicKey } from '../core/ssh-public-key';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` that names a real calendar day, as a UTC date; undefined otherwise. */
function calendarDay(text: string): Date | undefined {
  const m = DAY.exec(text);
  if (!m) return undefined;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text ? date : undefined;
}

/**
 * Every problem with the operator list, each as `field: what to do`. `today` is the UTC day the config is judged on
 * (an operator whose `expires` day is before it has lost access; keeping them listed would hide that).
 */
export function operatorProblems(bastion: BastionConfig, today = new Date()): string[] {
  const problems: string[] = [];
  const bad = (field: string, message: string) => problems.push(`${field}: ${message}`);
  const operators: unknown = bastion.operators;
  if (!Array.isArray(operators) || operators.length === 0) {
    bad(
      'bastion.operators',
      'the bastion is enabled but lists no operators; add one entry per person ({"name": "alice", "sshPublicKey": "ssh-ed25519 ..."}), the kit has no shared login',
    );
    return problems;
  }
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const names = new Map<string, number>();
  const fingerprints = new Map<string, string>();
  if (bastion.sshPublicKey !== undefined) {
    try {
      fingerprints.set(parseSshPublicKey(bastion.sshPublicKey).fingerprint, 'bastion.sshPublicKey (break-glass)');
    } catch {
      // reported by the sshPublicKey check itself
    }
  }
  operators.forEach((op: unknown, i) => {
    const at = `bastion.operators[${i}]`;
    if (typeof op !== 'object' || op === null || Array.isArray(op)) {
      bad(at, 'must be an object {"name", "sshPublicKey", "expires"?}');
      return;
    }
    const { name, sshPublicKey, expires, ...rest } = op as Record<string, unknown>;
    for (const key of Object.keys(rest)) {
      bad(`${at}.${key}`, 'is not an operator field; use name, sshPublicKey and optionally expires');
    }
    if (typeof name !== 'string' || !OPERATOR_NAME.test(name)) {
      bad(
        `${at}.name`,
        `${JSON.stringify(name)} must be 2-32 lower-case letters, digits or _, starting with a letter (it becomes the Linux and database user)`,
      );
    } else if (RESERVED_OPERATOR_NAMES.includes(name) || RESERVED_OPERATOR_PREFIXES.some((p) => name.startsWith(p))) {
      bad(`${at}.name`, `"${name}" is a system, shared or database-reserved name; use the person's own name`);
    } else if (names.has(name)) {
      bad(`${at}.name`, `"${name}" is already bastion.operators[${names.get(name)}]; list each person once`);
    } else {
      names.set(name, i);
    }
    if (typeof sshPublicKey !== 'string') {
      bad(`${at}.sshPublicKey`, "give the person's own OpenSSH public key line (the .pub file)");
    } else {
      try {
        const key = parseSshPublicKey(sshPublicKey);
        const other = fingerprints.get(key.fingerprint);
        if (other) {
          bad(
            `${at}.sshPublicKey`,
            `is the same key (${key.fingerprint}) as ${other}; a shared key is a shared login, give each person their own key`,
          );
        } else {
          fingerprints.set(key.fingerprint, at);
        }
      } catch (err) {
        bad(
          `${at}.sshPublicKey`,
          `is not a usable OpenSSH public key: ${(err as Error).message}; paste the whole .pub file line`,
        );
      }
    }
    if (expires !== undefined) {
      const day = typeof expires === 'string' ? calendarDay(expires) : undefined;
      if (!day) {
        bad(`${at}.expires`, `${JSON.stringify(expires)} is not a calendar day; write YYYY-MM-DD, e.g. "2027-03-31"`);
      } else if (day.getTime() < todayUtc) {
        bad(
          `${at}.expires`,
          `${expires} has passed, so ${typeof name === 'string' ? name : 'this operator'} no longer has access; remove the entry (or extend the date if access was renewed)`,
        );
      }
    }
  });
  return problems;
}
