/**
 * Names shared by the config validation, the bastion host scripts and the database: what a bastion operator may be
 * called, and the Linux group that alone may log in over SSH (issue 16, pillar P02).
 */

/** Lower-case, starting with a letter: valid as a Linux user (useradd) and an unquoted PostgreSQL role. */
export const OPERATOR_NAME = /^[a-z][a-z0-9_]{1,31}$/;

/**
 * Names an operator may not take: accounts of the OS image, of Session Manager, and the break-glass `ec2-user`;
 * PostgreSQL and RDS built-ins, and the kit's own database roles and master user.
 */
export const RESERVED_OPERATOR_NAMES: readonly string[] = [
  'root',
  'bin',
  'daemon',
  'adm',
  'lp',
  'sync',
  'shutdown',
  'halt',
  'mail',
  'operator',
  'games',
  'ftp',
  'nobody',
  'sshd',
  'dbus',
  'chrony',
  'tss',
  'rpc',
  'rpcuser',
  'libstoragemgmt',
  'ec2-instance-connect',
  'cwagent',
  'ec2-user',
  'ssm-user',
  'admin',
  'postgres',
  'public',
  'kit_admin',
  'rdsadmin',
  'rdsrepladmin',
];

/** Prefixes reserved for the OS (systemd-), PostgreSQL (pg_), RDS (rds) and the service's roles (hmk). */
export const RESERVED_OPERATOR_PREFIXES: readonly string[] = ['systemd-', 'pg_', 'rds', 'hmk'];

/** The Linux group of named operators; sshd admits it and the break-glass group, nobody else. */
export const OPERATOR_GROUP = 'hipaa-operators';
/** The break-glass login (the EC2 key pair's ec2-user); every use raises an alarm. */
export const BREAK_GLASS_GROUP = 'hipaa-break-glass';
export const BREAK_GLASS_USER = 'ec2-user';
