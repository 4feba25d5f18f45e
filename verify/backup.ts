/**
 * AWS Backup: the kit's plan exists with the configured retention, recent recovery points exist for the DB and PHI
 * bucket, and none exist for the conversation-key table (an organization backup policy could add one unseen).
 */
import {
  GetBackupPlanCommand,
  GetBackupPlanCommandOutput,
  ListRecoveryPointsByResourceCommand,
  ListRecoveryPointsByResourceCommandOutput,
} from '@aws-sdk/client-backup';
import { kitNames } from '../core/naming';
import { partitionOf } from '../core/partition';
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
  keyTableExcluded: {
    id: 'backup.key-table-excluded',
    title: 'No recovery points of the conversation-key table (crypto-shredding)',
    pillars: ['P05'],
    hipaa: ['164.312(a)(2)(iv)'],
  },
} as const satisfies Record<string, CheckSpec>;

export async function checkBackup(ctx: VerifyContext): Promise<CheckResult[]> {
  return [...(await checkPlans(ctx)), ...(await checkKeyTablesExcluded(ctx))];
}

/**
 * A recovery point of the key table keeps every conversation key it held, however long after the service deleted
 * it: crypto-shredding then fails. The kit's plan does not select the table; this catches any other plan.
 */
async function checkKeyTablesExcluded(ctx: VerifyContext): Promise<CheckResult[]> {
  const spec = BACKUP_CHECKS.keyTableExcluded;
  const { account, region } = ctx.config;
  const results = await Promise.all(
    resourcesOfType(ctx.deployment, 'AWS::DynamoDB::Table').map((table) =>
      guarded(AREA, [spec], label(table), async () => {
        const arn = `arn:${partitionOf(region)}:dynamodb:${region}:${account}:table/${table.physicalId}`;
        let points = 0;
        let NextToken: string | undefined;
        do {
          const page: ListRecoveryPointsByResourceCommandOutput = await ctx.call(
            ctx.clients.backup,
            new ListRecoveryPointsByResourceCommand({ ResourceArn: arn, NextToken }),
          );
          points += (page.RecoveryPoints ?? []).length;
          NextToken = page.NextToken;
        } while (NextToken);
        const problems = points
          ? [
              `AWS Backup holds ${points} recovery point(s) of ${arn}, so deleted conversation keys survive in them; ` +
                'remove the table from every backup plan (including organization backup policies) and delete those points',
            ]
          : [];
        return [judge(AREA, spec, label(table), problems, `no recovery points of ${arn}`)];
      }),
    ),
  );
  return results.flat();
}

async function checkPlans(ctx: VerifyContext): Promise<CheckResult[]> {
  const plans = resourcesOfType(ctx.deployment, 'AWS::Backup::BackupPlan');
  if (plans.length === 0) {
    return [judge(AREA, BACKUP_CHECKS.plan, 'account', ['no AWS::Backup::BackupPlan in the deployed stacks'], '')];
  }
  const results = await Promise.all(
    plans.map((plan) =>
      guarded(AREA, [BACKUP_CHECKS.plan, BACKUP_CHECKS.recoveryPoints], label(plan), async () => {
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
