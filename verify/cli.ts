/**
 * `npm run verify -- --profile <name>`: proves the deployed account still keeps the synthesized promise.
 * Exit codes: 0 every check passed; 1 a check failed (drift); 2 usage, credential, account/region or permission
 * problems, stacks not deployed, or checks that could not be judged (and none failed).
 */
import { resolve } from 'node:path';
import { ConfigError, KitConfig } from '../core/config';
import { PROFILES, resolveConfig } from '../lib/profiles';
import { TenancyError } from '../lib/tenancy-guard';
import { AwsCredentialIdentityProvider, defaultCredentialChain, RetryOptions } from './aws';
import { DEFAULT_THRESHOLDS, Thresholds } from './context';
import { VerifyError } from './errors';
import { synthesizeTemplates, Templates, templatesFromAssembly } from './expected';
import { mergeLiveIntoReport } from './merge-report';
import { renderSummary, writeLiveReport } from './output';
import { runVerification } from './run';

export const USAGE = `usage: npm run verify -- --profile <name> [options]
  --profile <name>                  config profile from lib/profiles.ts (${Object.keys(PROFILES).join(', ')})
  --region <region>                 optional; must equal the profile's region (a guard against the wrong one)
  --assembly <dir>                  compare with this cloud assembly (e.g. cdk.out) instead of synthesizing
  --out <dir>                       where live-<profile>.json goes and compliance.* are merged (default reports)
  --max-delivery-age <minutes>      CloudTrail's latest delivery (default ${DEFAULT_THRESHOLDS.maxTrailDeliveryAgeMinutes})
  --digest-window <hours>           CloudTrail digest files (default ${DEFAULT_THRESHOLDS.digestWindowHours})
  --backup-window <hours>           AWS Backup recovery points (default ${DEFAULT_THRESHOLDS.backupWindowHours})
  --max-restore-lag <minutes>       RDS latest restorable time (default ${DEFAULT_THRESHOLDS.maxRestoreLagMinutes})
exit codes: 0 all passed, 1 a check failed, 2 usage/credentials/permissions/not deployed/not verifiable`;

export interface VerifyArgs {
  readonly profile: string;
  readonly region?: string;
  readonly assembly?: string;
  readonly out: string;
  readonly thresholds: Thresholds;
}

const NUMERIC: Record<string, keyof Thresholds> = {
  '--max-delivery-age': 'maxTrailDeliveryAgeMinutes',
  '--digest-window': 'digestWindowHours',
  '--backup-window': 'backupWindowHours',
  '--max-restore-lag': 'maxRestoreLagMinutes',
};

function usage(message: string): VerifyError {
  return new VerifyError(message, 'see `npm run verify -- --help`');
}

/** Parses the arguments; throws a VerifyError (exit 2) on anything it does not understand. */
export function parseArgs(argv: readonly string[]): VerifyArgs | 'help' {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.split('=', 2);
    const known = ['--profile', '--region', '--assembly', '--out', ...Object.keys(NUMERIC)];
    if (!known.includes(flag)) throw usage(`Unknown argument ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw usage(`${flag} needs a value`);
    values[flag] = value;
  }
  if (!values['--profile']) throw usage('--profile <name> is required');
  const thresholds = { ...DEFAULT_THRESHOLDS };
  for (const [flag, key] of Object.entries(NUMERIC)) {
    if (values[flag] === undefined) continue;
    const n = Number(values[flag]);
    if (!Number.isFinite(n) || n <= 0) throw usage(`${flag} must be a positive number, got "${values[flag]}"`);
    thresholds[key] = n;
  }
  return {
    profile: values['--profile'],
    region: values['--region'],
    assembly: values['--assembly'],
    out: values['--out'] ?? 'reports',
    thresholds,
  };
}

export interface CliDeps {
  readonly credentials: AwsCredentialIdentityProvider;
  readonly credentialsTimeoutMs?: number;
  /** The synthesized templates for a config (default: --assembly, else in-process synth). */
  readonly templates: (config: KitConfig, args: VerifyArgs) => Templates;
  readonly now: () => Date;
  readonly retry?: RetryOptions;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

const DEFAULT_DEPS: CliDeps = {
  credentials: defaultCredentialChain(),
  templates: (config, args) => {
    if (!args.assembly) return synthesizeTemplates(config);
    const prefix = `HipaaKit-${config.profileName}-`;
    const names = ['Keys', 'Network', 'Audit', 'Data', 'Identity', 'Service', 'Bastion'].map((s) => prefix + s);
    return templatesFromAssembly(args.assembly, names);
  },
  now: () => new Date(),
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
};

/** Runs the command; resolves to the exit code. */
export async function main(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = { ...DEFAULT_DEPS, ...overrides };
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      deps.stdout(USAGE);
      return 0;
    }
    const config = loadConfig(args.profile);
    if (args.region && args.region !== config.region) {
      throw new VerifyError(
        `--region ${args.region} differs from profile ${args.profile}'s region ${config.region}, where the kit is deployed`,
        `drop --region, or use the profile whose region is ${args.region}`,
      );
    }
    const report = await runVerification({
      config,
      profile: args.profile,
      templates: () => deps.templates(config, args),
      credentials: deps.credentials,
      credentialsTimeoutMs: deps.credentialsTimeoutMs,
      thresholds: args.thresholds,
      now: deps.now(),
      retry: deps.retry,
    });
    deps.stdout(renderSummary(report));
    const outDir = resolve(args.out);
    const file = writeLiveReport(outDir, report);
    deps.stdout(`verify: wrote ${file}`);
    for (const merged of mergeLiveIntoReport(outDir, report)) deps.stdout(`verify: added the live column to ${merged}`);
    return report.verdict === 'PASS' ? 0 : report.verdict === 'FAIL' ? 1 : 2;
  } catch (error) {
    if (error instanceof VerifyError) {
      deps.stderr(`verify: ${error.line}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof TenancyError) {
      for (const problem of error.problems) deps.stderr(`verify: config: ${problem}`);
      return 2;
    }
    throw error;
  }
}

function loadConfig(profile: string): KitConfig {
  return resolveConfig(profile);
}
