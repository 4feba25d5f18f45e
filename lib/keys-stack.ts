import { Construct } from 'constructs';
import { KitKeys } from '../constructs/kit-keys';
import { kitNames } from '../core/naming';
import { KitStack, KitStackProps } from './kit-stack';

/** Customer-managed keys, one per data domain. Stateful: every other stack's data depends on them. */
export class KeysStack extends KitStack {
  readonly keys: KitKeys;

  constructor(scope: Construct, id: string, props: KitStackProps) {
    super(scope, id, { ...props, stateful: true });
    const names = kitNames(props.config);
    this.keys = new KitKeys(this, 'Keys', { aliasPrefix: names.aliasPrefix, trailArn: names.trailArn });
  }
}
