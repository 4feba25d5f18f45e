import { compareText } from '../evidence/recorder';
import { HOURS_PER_MONTH, Price, PRICE_TABLE } from './prices-us-east-1';
import { CfnTemplateResource, resolveReference, resourceAt, Templates } from './templates';

/** One priced line of the bill of materials. */
export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly unitPrice: string;
  readonly monthlyUsd: number;
  /** True when any price behind it is unverified, or it rests on a stated usage volume. */
  readonly estimate: boolean;
  readonly basis: string;
}

export interface CostEstimate {
  readonly region: string;
  readonly priceTableRegion: string;
  readonly pricesTakenOn: string;
  readonly currency: string;
  readonly monthlyTotalUsd: number;
  readonly lines: readonly CostLine[];
  /** Billable resources the table has no price for: the total is then a lower bound. */
  readonly unpriced: readonly string[];
  readonly notes: readonly string[];
}

const money = (n: number) => Math.round(n * 100) / 100;
const usd = (p: Price) => `$${p.usd} ${p.unit}`;

type Found = { stack: string; id: string; r: CfnTemplateResource };

function resourcesOf(templates: Templates, type: string): Found[] {
  return [...templates.entries()].flatMap(([stack, t]) =>
    Object.entries(t.Resources ?? {})
      .filter(([, r]) => r.Type === type)
      .sort(([a], [b]) => compareText(a, b))
      .map(([id, r]) => ({ stack, id, r })),
  );
}

const props = (f: Found) => (f.r.Properties ?? {}) as Record<string, unknown>;
const record = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** Instance type and root volume size of a launch template an ASG or instance points at. */
function launchTemplateOf(templates: Templates, f: Found): { type?: string; gib: number } {
  const ref = resolveReference(templates, f.stack, record(props(f).LaunchTemplate).LaunchTemplateId);
  const data = record(record(ref ? resourceAt(templates, ref)?.Properties : undefined).LaunchTemplateData);
  const gib = (Array.isArray(data.BlockDeviceMappings) ? data.BlockDeviceMappings : [])
    .map((m) => Number(record(record(m).Ebs).VolumeSize ?? 0))
    .reduce((a, b) => a + b, 0);
  return { type: typeof data.InstanceType === 'string' ? data.InstanceType : undefined, gib };
}

/**
 * A priced bill of materials for the synthesized templates: every resource that bills by the hour or month, plus
 * the volume-billed lines at the usage stated in the price table. Deterministic: same templates, same lines.
 */
export function estimateCost(templates: Templates, region: string): CostEstimate {
  const p = PRICE_TABLE.prices;
  const u = PRICE_TABLE.usage;
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const add = (item: string, quantity: string, price: Price, monthly: number, basis: string, volume = false) =>
    lines.push({
      item,
      quantity,
      unitPrice: usd(price),
      monthlyUsd: money(monthly),
      estimate: !price.verified || volume,
      basis,
    });

  const dedicated = resourcesOf(templates, 'AWS::EC2::VPC').some((v) => props(v).InstanceTenancy === 'dedicated');
  const ec2Price = (type: string) => (dedicated ? p.ec2Dedicated : (p.ec2Shared as Record<string, Price>))[type];

  const hosts: { what: string; type: string; count: number; gib: number }[] = [];
  for (const asg of resourcesOf(templates, 'AWS::AutoScaling::AutoScalingGroup')) {
    const lt = launchTemplateOf(templates, asg);
    const count = Number(props(asg).DesiredCapacity ?? props(asg).MinSize ?? 0);
    hosts.push({
      what: 'ECS container hosts (Auto Scaling minimum)',
      type: lt.type ?? '?',
      count,
      gib: lt.gib,
    });
  }
  for (const instance of resourcesOf(templates, 'AWS::EC2::Instance')) {
    const lt = launchTemplateOf(templates, instance);
    hosts.push({
      what: `EC2 instance (${instance.stack.split('-').pop()})`,
      type: String(props(instance).InstanceType ?? lt.type),
      count: 1,
      gib: lt.gib,
    });
  }
  if (dedicated && hosts.some((h) => h.count > 0)) {
    add(
      'Dedicated-instance region fee',
      `${HOURS_PER_MONTH} h`,
      p.dedicatedRegionFee,
      p.dedicatedRegionFee.usd * HOURS_PER_MONTH,
      'VPC tenancy dedicated; billed once per region while any dedicated instance runs',
    );
  }
  for (const h of hosts) {
    const price = ec2Price(h.type);
    if (!price) {
      unpriced.push(`${h.what}: ${h.type}${dedicated ? ' (dedicated)' : ''}`);
      continue;
    }
    add(
      `${h.what}, ${h.type}${dedicated ? ' dedicated' : ''}`,
      `${h.count} x ${HOURS_PER_MONTH} h`,
      price,
      price.usd * h.count * HOURS_PER_MONTH,
      'on-demand, Linux',
    );
    if (h.gib > 0) {
      add(
        `EBS gp3 volumes, ${h.what}`,
        `${h.count * h.gib} GB`,
        p.ebsGp3,
        p.ebsGp3.usd * h.count * h.gib,
        'launch template volume size',
      );
    }
  }

  const nats = resourcesOf(templates, 'AWS::EC2::NatGateway').length;
  if (nats > 0) {
    add(
      'NAT gateways',
      `${nats} x ${HOURS_PER_MONTH} h`,
      p.natGateway,
      p.natGateway.usd * nats * HOURS_PER_MONTH,
      'hourly charge',
    );
    add(
      'NAT gateway data processed',
      `${u.natGbPerMonth} GB (stated)`,
      p.natData,
      p.natData.usd * u.natGbPerMonth,
      'stated volume',
      true,
    );
  }
  const albs = resourcesOf(templates, 'AWS::ElasticLoadBalancingV2::LoadBalancer').length;
  if (albs > 0) {
    add(
      'Application Load Balancer',
      `${albs} x ${HOURS_PER_MONTH} h`,
      p.alb,
      p.alb.usd * albs * HOURS_PER_MONTH,
      'hourly charge',
    );
    add(
      'ALB capacity units',
      `${u.albLcus} LCU x ${HOURS_PER_MONTH} h (stated)`,
      p.albLcu,
      p.albLcu.usd * u.albLcus * albs * HOURS_PER_MONTH,
      'stated load',
      true,
    );
  }
  const acls = resourcesOf(templates, 'AWS::WAFv2::WebACL');
  if (acls.length > 0) {
    const rules = acls.reduce(
      (n, a) => n + (Array.isArray(props(a).Rules) ? (props(a).Rules as unknown[]).length : 0),
      0,
    );
    add('WAF web ACLs', `${acls.length}`, p.wafAcl, p.wafAcl.usd * acls.length, 'monthly charge');
    add(
      'WAF rules',
      `${rules}`,
      p.wafRule,
      p.wafRule.usd * rules,
      'rules in the web ACLs (managed rule groups may add a fee)',
    );
    add(
      'WAF requests',
      `${u.wafMillionRequestsPerMonth} M (stated)`,
      p.wafRequests,
      p.wafRequests.usd * u.wafMillionRequestsPerMonth,
      'stated volume',
      true,
    );
  }
  for (const db of resourcesOf(templates, 'AWS::RDS::DBInstance')) {
    const cls = String(props(db).DBInstanceClass);
    const multiAz = props(db).MultiAZ === true || props(db).MultiAZ === 'true';
    const factor = multiAz ? 2 : 1;
    const price = p.rdsPostgresSingleAz[cls];
    if (!price) unpriced.push(`RDS ${db.stack}/${db.id}: ${cls}`);
    else
      add(
        `RDS PostgreSQL ${cls}${multiAz ? ' Multi-AZ' : ''}`,
        `${factor} x ${HOURS_PER_MONTH} h`,
        price,
        price.usd * factor * HOURS_PER_MONTH,
        multiAz ? 'Multi-AZ bills a standby instance too' : 'single-AZ',
      );
    const gib = Number(props(db).AllocatedStorage ?? 0);
    add(
      `RDS gp3 storage${multiAz ? ' (Multi-AZ)' : ''}`,
      `${gib} GB`,
      p.rdsGp3SingleAz,
      p.rdsGp3SingleAz.usd * gib * factor,
      'allocated storage',
    );
  }
  const interfaceEndpoints = resourcesOf(templates, 'AWS::EC2::VPCEndpoint').filter(
    (e) => props(e).VpcEndpointType === 'Interface',
  );
  if (interfaceEndpoints.length > 0) {
    const azHours = interfaceEndpoints.reduce(
      (n, e) => n + (Array.isArray(props(e).SubnetIds) ? (props(e).SubnetIds as unknown[]).length : 1),
      0,
    );
    add(
      'Interface VPC endpoints',
      `${interfaceEndpoints.length} endpoints, ${azHours} AZ attachments x ${HOURS_PER_MONTH} h`,
      p.interfaceEndpoint,
      p.interfaceEndpoint.usd * azHours * HOURS_PER_MONTH,
      'hourly per AZ; data processed not included',
    );
  }
  const keys = resourcesOf(templates, 'AWS::KMS::Key').length;
  if (keys > 0)
    add(
      'KMS customer-managed keys',
      `${keys}`,
      p.kmsKey,
      p.kmsKey.usd * keys,
      'monthly per key; requests not included',
    );
  const trails = resourcesOf(templates, 'AWS::CloudTrail::Trail').filter(
    (t) => props(t).EventSelectors !== undefined || props(t).AdvancedEventSelectors !== undefined,
  );
  if (trails.length > 0) {
    add(
      'CloudTrail S3 data events',
      `${u.cloudTrailDataEventsPerMonth.toLocaleString('en-US')} events (stated)`,
      p.cloudTrailDataEvents,
      (p.cloudTrailDataEvents.usd * u.cloudTrailDataEventsPerMonth) / 100_000,
      'stated volume; the first copy of management events is free',
      true,
    );
  }
  const plusPools = resourcesOf(templates, 'AWS::Cognito::UserPool').filter((x) => props(x).UserPoolTier === 'PLUS');
  if (plusPools.length > 0) {
    add(
      'Cognito Plus tier',
      `${u.cognitoMonthlyActiveUsers.toLocaleString('en-US')} MAU (stated)`,
      p.cognitoPlusMau,
      p.cognitoPlusMau.usd * u.cognitoMonthlyActiveUsers * plusPools.length,
      'stated users',
      true,
    );
  }
  const logGroups = resourcesOf(templates, 'AWS::Logs::LogGroup').length;
  if (logGroups > 0) {
    add(
      'CloudWatch Logs ingestion',
      `${u.logsGbPerMonth} GB into ${logGroups} log groups (stated)`,
      p.logsIngestion,
      p.logsIngestion.usd * u.logsGbPerMonth,
      'stated volume; storage and vended-log rates not included',
      true,
    );
  }
  const alarms = resourcesOf(templates, 'AWS::CloudWatch::Alarm').length;
  if (alarms > 0)
    add('CloudWatch alarms', `${alarms}`, p.cloudWatchAlarm, p.cloudWatchAlarm.usd * alarms, 'standard resolution');
  const secrets =
    resourcesOf(templates, 'AWS::SecretsManager::Secret').length +
    resourcesOf(templates, 'AWS::RDS::DBInstance').filter((d) => props(d).ManageMasterUserPassword === true).length;
  if (secrets > 0)
    add(
      'Secrets Manager secrets',
      `${secrets}`,
      p.secret,
      p.secret.usd * secrets,
      'includes the RDS-managed master secret',
    );

  return {
    region,
    priceTableRegion: PRICE_TABLE.region,
    pricesTakenOn: PRICE_TABLE.takenOn,
    currency: PRICE_TABLE.currency,
    monthlyTotalUsd: money(lines.reduce((n, l) => n + l.monthlyUsd, 0)),
    lines,
    unpriced,
    notes: [
      `Prices: ${PRICE_TABLE.region} on-demand list prices written on ${PRICE_TABLE.takenOn} (policies/report/prices-us-east-1.ts); none was verified against AWS from this machine, so every line is an estimate.`,
      ...(region !== PRICE_TABLE.region
        ? [`The stacks deploy to ${region}; prices there differ from ${PRICE_TABLE.region}.`]
        : []),
      'Not included: data transfer out, S3 and backup storage, DynamoDB and KMS requests, ECR storage, taxes, support plans, and any Savings Plan or Reserved Instance discount.',
      ...(unpriced.length > 0
        ? [`No price in the table for: ${unpriced.join('; ')}; the total is a lower bound.`]
        : []),
    ],
  };
}

/** The bill of materials as fixed-width text (for `npm run cost`). */
export function renderCostText(cost: CostEstimate): string {
  const rows = cost.lines.map((l) => [
    l.item,
    l.quantity,
    `$${l.monthlyUsd.toFixed(2)}`,
    l.estimate ? 'estimate' : 'verified',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 10));
  const line = (r: string[]) =>
    `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}  ${r[3]}`;
  return [
    `Monthly cost of the synthesized deployment (${cost.currency}, prices ${cost.priceTableRegion} as of ${cost.pricesTakenOn}):`,
    '',
    line(['Item', 'Quantity', 'Per month', '']),
    ...rows.map(line),
    '',
    `Monthly total: $${cost.monthlyTotalUsd.toFixed(2)} (estimate)`,
    ...cost.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
