// A KMS stand-in for offline tests: wraps keys with a LocalKeyring (so encryption contexts are enforced as KMS
// would) and records every command it receives.
import assert from 'node:assert/strict';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { LocalKeyring } from '../src/crypto/keyring-local.js';
import type { KmsSender } from '../src/crypto/kms.js';

export function fakeKms() {
  const inner = new LocalKeyring();
  const calls: { name: string; input: any }[] = [];
  const client: KmsSender = {
    send: (async (cmd: GenerateDataKeyCommand | DecryptCommand) => {
      calls.push({ name: cmd.constructor.name, input: cmd.input });
      if (cmd instanceof GenerateDataKeyCommand) {
        assert.equal(cmd.input.KeySpec, 'AES_256');
        const k = await inner.generateDataKey(cmd.input.EncryptionContext!);
        return {
          Plaintext: k.plaintext,
          CiphertextBlob: k.encrypted,
          KeyId: 'arn:aws:kms:eu-west-1:111111111111:key/test',
        };
      }
      const input = (cmd as DecryptCommand).input;
      return {
        Plaintext: await inner.decryptDataKey(
          Buffer.from(input.CiphertextBlob!),
          inner.keyId,
          input.EncryptionContext!,
        ),
      };
    }) as KmsSender['send'],
  };
  return { client, calls };
}
