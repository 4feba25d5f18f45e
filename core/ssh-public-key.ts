import { createHash } from 'node:crypto';

/** An OpenSSH public key line, parsed and checked to the last byte. */
export interface SshPublicKey {
  readonly type: 'ssh-ed25519' | 'ssh-rsa';
  /** Key size in bits (256 for ED25519, the modulus length for RSA). */
  readonly bits: number;
  /** `SHA256:<base64>`, as `ssh-keygen -l` and sshd's logs print it. */
  readonly fingerprint: string;
  readonly comment: string;
}

/** The types EC2 ImportKeyPair accepts; RSA below 2048 bits is refused as too weak. */
const MIN_RSA_BITS = 2048;

/** Reads the SSH wire format (RFC 4251): uint32 length-prefixed strings. */
class WireReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  string(what: string): Buffer {
    if (this.offset + 4 > this.bytes.length) throw new Error(`the key data ends before its ${what}`);
    const length = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    if (this.offset + length > this.bytes.length) {
      throw new Error(`the length field of its ${what} (${length}) runs past the end of the key data`);
    }
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new Error(`${this.bytes.length - this.offset} stray bytes follow the key`);
    }
  }
}

/** Strict base64: the canonical alphabet and padding, re-encoding to the same text. */
function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error('its key data is not valid base64');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new Error('its key data is not valid base64');
  return bytes;
}

/** Bits of an SSH mpint (a positive big-endian integer, possibly with a leading zero byte). */
function mpintBits(value: Buffer): number {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  if (i === value.length) return 0;
  return (value.length - i - 1) * 8 + Math.floor(Math.log2(value[i])) + 1;
}

/**
 * Parses one OpenSSH public key line (`<type> <base64> [comment]`) and checks that the base64 holds exactly the
 * structure its type names: the same type string, every length field consistent, nothing left over. Throws an
 * Error whose message says what is wrong (for a config error line); returns the parsed key.
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  const [type, data, ...comment] = line.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') {
    throw new Error(`its type "${type ?? ''}" is not ssh-ed25519 or ssh-rsa (the types EC2 imports)`);
  }
  if (!data) throw new Error('it has no key data after the type');
  const blob = decodeBase64(data);
  const reader = new WireReader(blob);
  const innerType = reader.string('type name').toString('latin1');
  if (innerType !== type) throw new Error(`its key data is of type "${innerType}", not "${type}"`);
  let bits: number;
  if (type === 'ssh-ed25519') {
    const key = reader.string('ED25519 key');
    if (key.length !== 32) throw new Error(`its ED25519 key is ${key.length} bytes, not 32`);
    bits = 256;
  } else {
    const exponent = reader.string('RSA exponent');
    bits = mpintBits(reader.string('RSA modulus'));
    if (mpintBits(exponent) === 0) throw new Error('its RSA exponent is zero');
    if (bits < MIN_RSA_BITS) throw new Error(`its RSA modulus has ${bits} bits; use at least ${MIN_RSA_BITS}`);
  }
  reader.end();
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type, bits, fingerprint, comment: comment.join(' ') };
}
