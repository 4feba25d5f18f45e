import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BastionOperator } from '../core/config';
import { BREAK_GLASS_GROUP, OPERATOR_GROUP } from '../core/operators';
import { partitionOf } from '../core/partition';
import { parseSshPublicKey } from '../core/ssh-public-key';
import { hostFile, writeFileLines } from './bastion-host-files';

export const OPERATORS_PROGRAM = '/usr/local/sbin/hipaa-kit-operators';
export const OPERATORS_CONF = '/etc/hipaa-kit/operators.conf';
/** sshd reads keys only from here (root-owned, one file per account), never from a home directory. */
export const AUTHORIZED_KEYS_DIR = '/etc/ssh/authorized_keys';

export interface BastionOperatorsProps {
  readonly operators: BastionOperator[];
  /** SSM parameter holding the roster, e.g. `/hipaa-kit/example/bastion/operators`. */
  readonly rosterParameterName: string;
  /** The instance's managed policy; it gets read access to the roster. */
  readonly policy: iam.ManagedPolicy;
}

/**
 * The operator roster (pillar P02): one line per person, `<name> <last day or -> <key type> <key data>`, in an SSM
 * parameter the bastion reads at boot and every 15 minutes, so adding or removing a person is a config change and a
 * deploy that leaves the instance in place. Public keys only: nothing secret is stored.
 */
export class BastionOperators extends Construct {
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: BastionOperatorsProps) {
    super(scope, id);
    this.parameter = new ssm.StringParameter(this, 'Roster', {
      parameterName: props.rosterParameterName,
      description: 'HIPAA kit bastion operators: name, last day, public key (read by hipaa-kit-operators)',
      stringValue: rosterText(props.operators),
      tier: ssm.ParameterTier.INTELLIGENT_TIERING, // above 4 KB (many RSA keys) it becomes an advanced parameter
    });
    const { account, region } = Stack.of(this);
    // Named by its fixed name so the role's policy does not depend on the parameter resource.
    props.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadOperatorRoster',
        actions: ['ssm:GetParameter'],
        resources: [`arn:${partitionOf(region)}:ssm:${region}:${account}:parameter${props.rosterParameterName}`],
      }),
    );
  }
}

/** The roster text: names and keys re-emitted from the parsed key (type and base64 only, no comment). */
export function rosterText(operators: BastionOperator[]): string {
  return operators
    .map((op) => {
      parseSshPublicKey(op.sshPublicKey); // refuses a malformed key here too, whoever calls the construct
      const [type, data] = op.sshPublicKey.trim().split(/\s+/);
      return `${op.name} ${op.expires ?? '-'} ${type} ${data}`;
    })
    .join('\n');
}

/**
 * User-data lines: install the operator program and its timer, adopt the break-glass key, and apply the roster once.
 * A first sync that fails (e.g. the roster parameter not yet readable) leaves only break-glass access; the timer
 * retries every 15 minutes.
 */
export function operatorAccessScript(rosterParameterName: string, region: string): string[] {
  return [
    'install -d -m 0755 /etc/hipaa-kit',
    `install -d -m 0755 -o root -g root ${AUTHORIZED_KEYS_DIR}`,
    ...writeFileLines(OPERATORS_CONF, `ROSTER_PARAMETER='${rosterParameterName}'\nREGION='${region}'`, '0644'),
    ...writeFileLines(OPERATORS_PROGRAM, hostFile('hipaa-kit-operators.sh'), '0755'),
    ...writeFileLines(
      '/etc/systemd/system/hipaa-kit-operators.service',
      [
        '[Unit]',
        'Description=HIPAA kit: apply the bastion operator roster (accounts, keys, end dates)',
        'After=network-online.target',
        'Wants=network-online.target',
        '[Service]',
        'Type=oneshot',
        `ExecStart=${OPERATORS_PROGRAM} sync`,
      ].join('\n'),
      '0644',
    ),
    ...writeFileLines(
      '/etc/systemd/system/hipaa-kit-operators.timer',
      [
        '[Unit]',
        'Description=HIPAA kit: re-apply the operator roster at boot and every 15 minutes (end dates, removals)',
        '[Timer]',
        'OnBootSec=1min',
        'OnUnitActiveSec=15min',
        'Persistent=true',
        '[Install]',
        'WantedBy=timers.target',
      ].join('\n'),
      '0644',
    ),
    `${OPERATORS_PROGRAM} init`,
    `${OPERATORS_PROGRAM} sync || echo "hipaa-kit: first operator sync FAILED; only break-glass access until the timer succeeds" | tee /dev/console`,
    'systemctl daemon-reload',
    'systemctl enable --now hipaa-kit-operators.timer',
  ];
}

/** The sshd settings that make every SSH login a named one (added to the bastion's drop-in). */
export const NAMED_LOGIN_SSHD_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['AuthorizedKeysFile', `${AUTHORIZED_KEYS_DIR}/%u`],
  ['AllowGroups', `${OPERATOR_GROUP} ${BREAK_GLASS_GROUP}`],
  ['UsePAM', 'yes'], // account end dates and the session recording hook run in PAM
];
