/** AWS Backup: the kit's plan exists with the configured retention, and recent recovery points exist for the DB and PHI bucket. */
import {
  GetBackupPlanCommand,
  GetBackupPlanCommandOutput,
  ListRecoveryPointsByResourceCommand,
  ListRecoveryPointsByResourceCommandOutput,
} from '@aws-sdk/client-backup';
import { partitionOf } from '../constructs/defaults';
import { kitNames } from '../lib/naming';
import { CheckResult, CheckSpec, judge } from './check';
import { guarded, VerifyContext } from './context';
import { label, resourcesOfType } from './discovery';

const AREA = 'Backup';

export const BACKUP_CHECKS = {
  plan: {
    id: 'backup.plan',
    title: 'Backup plan exists with the configured retention',
    pillars: [],
    hipaa: ['164.308(a)(7)(ii)(A)'],
  },
  recoveryPoints: {
    id: 'backup.recovery-points',
    title: 'Recent recovery points for the DB and PHI bucket',
    pillars: [],
    hipaa: ['164.308(a)(7)(ii)(A)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkBackup(ctx: VerifyContext): Promise<CheckResult[]> {
  const plans = resourcesOfType(ctx.deployment, 'AWS::Backup::BackupPlan');
  if (plans.length === 0) {
    return [judge(AREA, BACKUP_CHECKS.plan, 'account', ['no AWS::Backup::BackupPlan in the deployed stacks'], '')];
  }
  const results = await Promise.all(
    plans.map((plan) =>
      guarded(AREA, Object.values(BACKUP_CHECKS), label(plan), async () => {
        const where = label(plan);
        const got: GetBackupPlanCommandOutput = await ctx.call(
          ctx.clients.backup,
          new GetBackupPlanCommand({ BackupPlanId: plan.physicalId }),
        );
        const rules = got.BackupPlan?.Rules ?? [];
        const want = ctx.config.backup.retentionDays;
        const planProblems = rules.length === 0 ? ['the plan has no rules'] : [];
        for (const r of rules) {
          const days = r.Lifecycle?.DeleteAfterDays;
          if (days !== undefined && days < want) planProblems.push(`rule ${r.RuleName} keeps ${days} days (< ${want})`);
        }

        const partition = partitionOf(ctx.config.region);
        const protectedResources = [
          ...resourcesOfType(ctx.deployment, 'AWS::RDS::DBInstance').map(
            (db) => `arn:${partition}:rds:${ctx.config.region}:${ctx.config.account}:db:${db.physicalId}`,
          ),
          `arn:${partition}:s3:::${kitNames(ctx.config).phiBucketName}`,
        ];
        const since = new Date(ctx.now.getTime() - ctx.thresholds.backupWindowHours * 3_600_000);
        const pointProblems: string[] = [];
        for (const ResourceArn of protectedResources) {
          // Pages come in no promised order, so read them all until a recent usable point turns up.
          let recent: boolean;
          let NextToken: string | undefined;
          do {
            const page: ListRecoveryPointsByResourceCommandOutput = await ctx.call(
              ctx.clients.backup,
              new ListRecoveryPointsByResourceCommand({ ResourceArn, NextToken }),
            );
            recent = (page.RecoveryPoints ?? []).some(
              (p) =>
                (p.Status === 'COMPLETED' || p.Status === 'AVAILABLE') &&
                p.CreationDate !== undefined &&
                p.CreationDate >= since,
            );
            NextToken = page.NextToken;
          } while (!recent && NextToken);
          if (!recent)
            pointProblems.push(
              `no completed recovery point for ${ResourceArn} in ${ctx.thresholds.backupWindowHours} h`,
            );
        }
        return [
          judge(
            AREA,
            BACKUP_CHECKS.plan,
            where,
            planProblems,
            `${got.BackupPlan?.BackupPlanName}: ${rules.length} rule(s)`,
          ),
          judge(
            AREA,
            BACKUP_CHECKS.recoveryPoints,
            where,
            pointProblems,
            `recovery points within ${ctx.thresholds.backupWindowHours} h for ${protectedResources.length} resources`,
          ),
        ];
      }),
    ),
  );
  return results.flat();
}
