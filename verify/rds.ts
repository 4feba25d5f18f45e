/**
 * RDS: the kit database is encrypted, Multi-AZ, deletion-protected, uses IAM auth, has rds.force_ssl=1 in effect
 * (parameter group in sync), keeps the configured backup retention and synthesized window, and is restorable to a
 * recent time.
 */
import {
  DescribeDBInstancesCommand,
  DescribeDBInstancesCommandOutput,
  DescribeDBParametersCommand,
  DescribeDBParametersCommandOutput,
} from '@aws-sdk/client-rds';
import { CheckResult, CheckSpec, judge, minutesBetween } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';
import { templateResource } from './expected';

const AREA = 'RDS';

export const RDS_CHECKS = {
  hardened: {
    id: 'rds.hardened',
    title: 'Encrypted, Multi-AZ, deletion protection, IAM auth',
    pillars: ['P05', 'P07'],
    hipaa: ['164.312(a)(2)(iv)', '164.312(a)(1)', '164.308(a)(7)(ii)(A)'],
  },
  forceSsl: {
    id: 'rds.force-ssl',
    title: 'rds.force_ssl=1 in effect',
    pillars: ['P01'],
    hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)', '164.312(e)(2)(ii)'],
  },
  backups: {
    id: 'rds.backups',
    title: 'Backup retention and window as configured',
    pillars: [],
    hipaa: ['164.308(a)(7)(ii)(A)'],
  },
  restorable: {
    id: 'rds.restorable',
    title: 'Latest restorable time is recent',
    pillars: [],
    hipaa: ['164.308(a)(7)(ii)(A)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkRds(ctx: VerifyContext): Promise<CheckResult[]> {
  const databases = resourcesOfType(ctx.deployment, 'AWS::RDS::DBInstance');
  const results = await Promise.all(
    databases.map((db) =>
      guarded(AREA, Object.values(RDS_CHECKS), label(db), async () => {
        const where = label(db);
        const out: DescribeDBInstancesCommandOutput = await ctx.call(
          ctx.clients.rds,
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.physicalId }),
        );
        const live = out.DBInstances?.[0] ?? {};
        const props = templateResource(ctx.templates, db.stack, db.logicalId)?.Properties ?? {};

        const hardened: string[] = [];
        if (!live.StorageEncrypted) hardened.push('storage not encrypted');
        if (!live.MultiAZ) hardened.push('not Multi-AZ');
        if (!live.DeletionProtection) hardened.push('deletion protection off');
        if (!live.IAMDatabaseAuthenticationEnabled) hardened.push('IAM authentication off');

        const group = live.DBParameterGroups?.[0];
        const sslProblems: string[] = [];
        if (!group?.DBParameterGroupName) sslProblems.push('no parameter group');
        else {
          if (group.ParameterApplyStatus !== 'in-sync') {
            sslProblems.push(
              `parameter group ${group.DBParameterGroupName} is ${group.ParameterApplyStatus} (reboot pending)`,
            );
          }
          const value = await parameterValue(ctx, group.DBParameterGroupName, 'rds.force_ssl');
          if (value !== '1') sslProblems.push(`rds.force_ssl is ${value ?? 'unset'}`);
        }

        const backupProblems: string[] = [];
        const retention = ctx.config.database.backupRetentionDays;
        if (live.BackupRetentionPeriod !== retention) {
          backupProblems.push(`backup retention ${live.BackupRetentionPeriod} days, config says ${retention}`);
        }
        const window = props.PreferredBackupWindow;
        if (typeof window === 'string' && live.PreferredBackupWindow !== window) {
          backupProblems.push(`backup window ${live.PreferredBackupWindow}, synthesized ${window}`);
        }

        const lag = ctx.thresholds.maxRestoreLagMinutes;
        const latest = live.LatestRestorableTime;
        const restoreProblems = !latest
          ? ['no latest restorable time (automated backups off?)']
          : minutesBetween(latest, ctx.now) > lag
            ? [`latest restorable time is ${minutesBetween(latest, ctx.now)} min old (limit ${lag} min)`]
            : [];

        return [
          judge(AREA, RDS_CHECKS.hardened, where, hardened, 'encrypted, Multi-AZ, deletion protection, IAM auth'),
          judge(AREA, RDS_CHECKS.forceSsl, where, sslProblems, `rds.force_ssl=1 in ${group?.DBParameterGroupName}`),
          judge(
            AREA,
            RDS_CHECKS.backups,
            where,
            backupProblems,
            `${live.BackupRetentionPeriod} days, window ${live.PreferredBackupWindow}`,
          ),
          judge(AREA, RDS_CHECKS.restorable, where, restoreProblems, `restorable to ${latest?.toISOString()}`),
        ];
      }),
    ),
  );
  return results.flat();
}

/** A parameter's value in a DB parameter group (the list is paged; filters are not supported by this API). */
async function parameterValue(ctx: VerifyContext, group: string, name: string): Promise<string | undefined> {
  let Marker: string | undefined;
  do {
    const page: DescribeDBParametersCommandOutput = await ctx.call(
      ctx.clients.rds,
      new DescribeDBParametersCommand({ DBParameterGroupName: group, Marker }),
    );
    const found = page.Parameters?.find((p) => p.ParameterName === name);
    if (found) return found.ParameterValue;
    Marker = page.Marker;
  } while (Marker);
  return undefined;
}
