import { App, Validations } from 'aws-cdk-lib';
import { addDays, setGovernanceDefaults, ungovernedAcknowledgements } from '../core/acknowledge';
import { ConfigError, KitConfig } from '../core/config';
import { kitNames } from '../core/naming';
import { EvidenceRecorder } from '../policies/evidence/recorder';
import {
  RecordingAwsSolutionsChecks,
  RecordingHIPAASecurityChecks,
  RecordingNIST80053R5Checks,
  RecordingPillarsChecks,
} from '../policies/evidence/recording-packs';
import { writeEvidence } from '../policies/evidence/write-evidence';
import { AuditStack } from './audit-stack';
import { BastionStack } from './bastion-stack';
import { DataStack } from './data-stack';
import { IdentityStack } from './identity-stack';
import { KeysStack } from './keys-stack';
import { NetworkStack } from './network-stack';
import { ServiceStack } from './service-stack';
import { assertDedicatedTenancyCompatible } from './tenancy-guard';

/** Creates every stack of the kit for one validated config, wired in dependency order. */
export function buildKit(app: App, config: KitConfig) {
  // Every acknowledgement without its own owner or date gets the profile's: the register never shows a blank.
  const { exceptionOwner, reviewEveryDays, lastReviewed } = config.governance;
  setGovernanceDefaults(app, { owner: exceptionOwner, reviewBy: addDays(lastReviewed, reviewEveryDays) });
  const prefix = kitNames(config).stackPrefix;
  const common = { config };
  const keysStack = new KeysStack(app, `${prefix}-Keys`, common);
  const keys = keysStack.keys;
  const network = new NetworkStack(app, `${prefix}-Network`, { ...common, keys });
  const audit = new AuditStack(app, `${prefix}-Audit`, { ...common, keys });
  const data = new DataStack(app, `${prefix}-Data`, {
    ...common,
    keys,
    vpc: network.vpc,
    accessLogsBucket: audit.accessLogsBucket,
    opsTopic: audit.opsTopic,
  });
  const identity = new IdentityStack(app, `${prefix}-Identity`, { ...common, keys });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    ...common,
    keys,
    vpc: network.vpc,
    database: data.database,
    databaseSecret: data.databaseSecret,
    accessLogsBucket: audit.accessLogsBucket,
    opsTopic: audit.opsTopic,
    identity,
  });
  const bastion = config.bastion.enabled
    ? new BastionStack(app, `${prefix}-Bastion`, {
        ...common,
        keys,
        vpc: network.vpc,
        database: data.database,
        opsTopic: audit.opsTopic,
        auditBucketName: audit.auditBucketNameForOtherStacks(),
      })
    : undefined;
  bastion?.addStackDependency(audit, 'Session Manager transcripts are copied to the audit bucket named by its output');

  if (config.tenancy === 'dedicated') assertDedicatedTenancyCompatible(app);
  const ungoverned = ungovernedAcknowledgements(app);
  if (ungoverned.length > 0) throw new ConfigError(ungoverned);
  return { keys: keysStack, network, audit, data, identity, service, bastion };
}

/**
 * The compliance gate: cdk-nag 3 packs run as CDK policy-validation plugins at synth time.
 * Findings land in cdk.out/validation-report.json; any unacknowledged finding fails synth.
 * Each pack also records every outcome (compliant, acknowledged, ...) into the returned recorder, for the auditor's
 * evidence report (policies/evidence/).
 */
export function registerCompliancePacks(app: App, recorder = new EvidenceRecorder()): EvidenceRecorder {
  Validations.of(app).addPlugins(
    new RecordingAwsSolutionsChecks(recorder, app),
    new RecordingHIPAASecurityChecks(recorder, app),
    new RecordingNIST80053R5Checks(recorder, app),
    // The kit's own pack: the security pillars the AWS packs leave unchecked (ports, tenancy, MFA, data events, ...).
    new RecordingPillarsChecks(recorder, app),
  );
  return recorder;
}

/**
 * Synthesizes the app now (the CDK CLI's own synth at exit reuses this assembly), then writes every rule outcome
 * `recorder` holds to `evidenceFile`, outside the assembly, for `npm run report`.
 */
export function synthWithEvidence(app: App, recorder: EvidenceRecorder, projectRoot: string, evidenceFile: string) {
  const assembly = app.synth();
  writeEvidence(recorder, assembly.directory, projectRoot, evidenceFile);
}
