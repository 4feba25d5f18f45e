import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { KitConfig } from '../core/config';

export interface KitStackProps extends StackProps {
  readonly config: KitConfig;
}

/** Base for every kit stack: concrete env from the config (no lookups), and termination protection when stateful. */
export abstract class KitStack extends Stack {
  readonly config: KitConfig;

  protected constructor(scope: Construct, id: string, props: KitStackProps & { stateful: boolean }) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: props.config.region },
      terminationProtection: props.stateful,
    });
    this.config = props.config;
  }

  /**
   * The zones come from the config. Without this, a Stack with a concrete env asks the CLI to look them up
   * (and a Vpc checks its zones against that list), which needs AWS credentials at synth.
   */
  get availabilityZones(): string[] {
    return this.config.availabilityZones;
  }
}
