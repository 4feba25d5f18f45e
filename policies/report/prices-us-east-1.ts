/**
 * The pinned price table behind `npm run cost` and the report's cost section: AWS list prices, on-demand, USD,
 * region us-east-1, as written into this file on `takenOn`. None could be checked against AWS's price list from the
 * machine that wrote it (no network, no account), so every price is an ESTIMATE until someone checks it against the
 * AWS pricing pages or the Price List API, sets `verified: true` and moves `takenOn`.
 * Usage volumes (requests, GB, users) are assumptions stated here, not measurements.
 */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** True only once checked against AWS's published price for `region` on `takenOn`. */
  readonly verified: boolean;
}

const estimate = (usd: number, unit: string): Price => ({ usd, unit, verified: false });

export const HOURS_PER_MONTH = 730;

export const PRICE_TABLE = {
  region: 'us-east-1',
  takenOn: '2026-12-04',
  currency: 'USD',
  prices: {
    dedicatedRegionFee: estimate(2.0, 'per hour while any dedicated instance runs in the region'),
    ec2Shared: { 'm6i.large': estimate(0.096, 'per instance-hour'), 't3.micro': estimate(0.0104, 'per instance-hour') },
    ec2Dedicated: {
      'm6i.large': estimate(0.106, 'per dedicated instance-hour'),
      't3.micro': estimate(0.0114, 'per dedicated instance-hour'),
    } as Record<string, Price>,
    ebsGp3: estimate(0.08, 'per GB-month'),
    natGateway: estimate(0.045, 'per NAT gateway-hour'),
    natData: estimate(0.045, 'per GB processed'),
    alb: estimate(0.0225, 'per ALB-hour'),
    albLcu: estimate(0.008, 'per LCU-hour'),
    wafAcl: estimate(5.0, 'per web ACL-month'),
    wafRule: estimate(1.0, 'per rule-month'),
    wafRequests: estimate(0.6, 'per million requests'),
    rdsPostgresSingleAz: { 'db.m6i.large': estimate(0.178, 'per instance-hour, single-AZ') } as Record<string, Price>,
    rdsGp3SingleAz: estimate(0.115, 'per GB-month, single-AZ (Multi-AZ twice)'),
    interfaceEndpoint: estimate(0.01, 'per endpoint per AZ-hour'),
    kmsKey: estimate(1.0, 'per customer-managed key-month'),
    cloudTrailDataEvents: estimate(0.1, 'per 100,000 data events'),
    cognitoPlusMau: estimate(0.02, 'per monthly active user (Plus tier)'),
    logsIngestion: estimate(0.5, 'per GB ingested'),
    cloudWatchAlarm: estimate(0.1, 'per standard alarm-month'),
    secret: estimate(0.4, 'per secret-month'),
  },
  /** Stated usage for the lines that bill by volume; change them to your own figures. */
  usage: {
    natGbPerMonth: 100,
    albLcus: 1,
    wafMillionRequestsPerMonth: 10,
    cloudTrailDataEventsPerMonth: 5_000_000,
    cognitoMonthlyActiveUsers: 1_000,
    logsGbPerMonth: 50,
  },
} as const;
