// Bastion operators' own database logins (kit issue 16): one LOGIN role per name in BASTION_OPERATORS, kept in
// step by the owner at start, after the migrations. What the roles may do is granted once, to hmk_operator
// (migration 015); here only membership, login and authentication change.
import type pg from 'pg';
import { ConfigError } from '../config.js';

/** RDS's role that makes a login authenticate by IAM token only (it exists only on RDS). */
export const RDS_IAM_ROLE = 'rds_iam';
/** Every statement of an operator's session goes to the pgaudit log, under their name (read included). */
export const OPERATOR_PGAUDIT_LOG = 'read,write,function,role,ddl,misc';
const LOCK_KEY = 7_314_225_002; // one reconciler at a time across instances; next to the migration lock

export interface OperatorLoginChanges {
  /** New roles. */
  created: string[];
  /** Roles of people listed again after a removal (LOGIN again). */
  restored: string[];
  /** Roles of people no longer listed: NOLOGIN, out of hmk_operator, kept. */
  disabled: string[];
  /** Whether the IAM role exists here (RDS); without it the logins have no way to authenticate. */
  iamAuth: boolean;
  /** Whether pgaudit is installed; without it operator statements are not logged. */
  sessionAudit: boolean;
}

/**
 * Makes the operator logins match `names` (the kit's bastion.operators): creates a role for a new name, restores a
 * removed one, and disables (never drops) the roles of names no longer listed. Runs as the owner, in one
 * transaction. Refuses a name that is already a role it did not create (the master user, a service role, a person's
 * own role): it would otherwise take that role over.
 */
export async function reconcileOperatorLogins(
  owner: pg.Client,
  names: readonly string[],
  iamRole = RDS_IAM_ROLE,
): Promise<OperatorLoginChanges> {
  const id = (name: string) => owner.escapeIdentifier(name);
  const changes: OperatorLoginChanges = {
    created: [],
    restored: [],
    disabled: [],
    iamAuth: false,
    sessionAudit: false,
  };
  await owner.query('BEGIN');
  try {
    await owner.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const probe = await owner.query<{ iam: boolean; pgaudit: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS iam,
              EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgaudit') AS pgaudit`,
      [iamRole],
    );
    changes.iamAuth = probe.rows[0].iam;
    changes.sessionAudit = probe.rows[0].pgaudit;
    const known = new Map(
      (
        await owner.query<{ name: string; removed: boolean }>(
          'SELECT name, removed_at IS NOT NULL AS removed FROM hmk.operator_logins',
        )
      ).rows.map((r) => [r.name, r.removed]),
    );
    const roles = new Map(
      (
        await owner.query<{ rolname: string; rolcanlogin: boolean; member: boolean; iam: boolean; audited: boolean }>(
          `SELECT r.rolname, r.rolcanlogin,
                  coalesce('pgaudit.log=${OPERATOR_PGAUDIT_LOG}' = ANY(r.rolconfig), false) AS audited,
                  pg_has_role(r.oid, 'hmk_operator', 'MEMBER') AS member,
                  EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                          WHERE m.member = r.oid AND g.rolname = $2) AS iam
             FROM pg_roles r WHERE r.rolname = ANY($1)`,
          [[...new Set([...names, ...known.keys()])], iamRole],
        )
      ).rows.map((r) => [r.rolname, r]),
    );

    for (const name of names) {
      const role = roles.get(name);
      if (role && !known.has(name)) {
        throw new ConfigError(
          'BASTION_OPERATORS',
          `"${name}" is already a database role the service did not create; give the operator another name in bastion.operators`,
        );
      }
      if (!role) {
        await owner.query(
          `CREATE ROLE ${id(name)} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS IN ROLE hmk_operator`,
        );
        changes.created.push(name);
      } else if (!role.rolcanlogin || !role.member || known.get(name)) {
        await owner.query(`ALTER ROLE ${id(name)} LOGIN`);
        await owner.query(`GRANT hmk_operator TO ${id(name)}`);
        changes.restored.push(name);
      }
      if (changes.iamAuth && !role?.iam) await owner.query(`GRANT ${id(iamRole)} TO ${id(name)}`);
      if (changes.sessionAudit && !role?.audited) {
        await owner.query(`ALTER ROLE ${id(name)} SET pgaudit.log = '${OPERATOR_PGAUDIT_LOG}'`);
      }
      await owner.query(
        `INSERT INTO hmk.operator_logins (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET removed_at = NULL WHERE hmk.operator_logins.removed_at IS NOT NULL`,
        [name],
      );
    }

    const listed = new Set(names);
    for (const [name, removed] of known) {
      if (listed.has(name) || removed) continue;
      if (roles.has(name)) {
        await owner.query(`ALTER ROLE ${id(name)} NOLOGIN`);
        await owner.query(`REVOKE hmk_operator FROM ${id(name)}`);
      }
      await owner.query('UPDATE hmk.operator_logins SET removed_at = now() WHERE name = $1', [name]);
      changes.disabled.push(name);
    }
    await owner.query('COMMIT');
    return changes;
  } catch (err) {
    await owner.query('ROLLBACK');
    throw err;
  }
}

/** One line per fact worth knowing after a reconcile, for the start-up log (names only; nothing else to hide). */
export function describeOperatorLoginChanges(names: readonly string[], c: OperatorLoginChanges): string[] {
  const lines: string[] = [];
  if (c.created.length) lines.push(`operator logins created: ${c.created.join(', ')}`);
  if (c.restored.length) lines.push(`operator logins enabled again: ${c.restored.join(', ')}`);
  if (c.disabled.length)
    lines.push(`operator logins disabled (NOLOGIN, kept for the audit history): ${c.disabled.join(', ')}`);
  if (names.length && !c.iamAuth) {
    lines.push(
      `operator logins: no ${RDS_IAM_ROLE} role here (not RDS), so they were not given IAM authentication and cannot log in`,
    );
  }
  if (names.length && !c.sessionAudit)
    lines.push('operator logins: pgaudit is not installed here, so their statements are not logged');
  return lines;
}
