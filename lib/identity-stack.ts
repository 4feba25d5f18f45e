import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { KitStack, KitStackProps } from './kit-stack';

export interface IdentityStackProps extends KitStackProps {
  readonly keys: KitKeys;
}

/** SKELETON (helper K3 replaces): Cognito user pool, app client, identity pool, SNS push. */
export class IdentityStack extends KitStack {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** Platform application ARNs by platform; empty when no push credentials are configured. */
  readonly platformApplicationArns: { apns?: string; fcm?: string };

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, { ...props, stateful: true });
    this.userPool = new cognito.UserPool(this, 'UserPool');
    this.userPoolClient = this.userPool.addClient('AppClient');
    this.platformApplicationArns = {};
  }
}
