import { parseSshPublicKey } from '../../core/ssh-public-key';

// Made with ssh-keygen; fingerprints as `ssh-keygen -l` printed them. The private halves were discarded.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICQUfUx4SMS9Z6SW5jIEqCi42q4kHZXfqz+/kTRErPkK ops@example.org';
const RSA_3072 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCJrwTTcDfiVbHypD6YU8PqUgSE+BrSwY55Q86py53Yb1ZYOl1ax1saLoYlHBhN02OawCKAoPPulxJVVx8q374NIYjL5RmGa/4NDmHu1zeg6de7ula/hay4dWy+/CR4g0zTuadQ3vLVu7WLYNdgg9WsILAUjNy8ihd6a1HiPC2871o/ulw+eYz25VsKzOEo5jLSsskHIB7bTPNiYrL6yMh9/A/tPlewLCM6b/vyBkO003VJFPOadFcvqeymwglQWWNlLuc3BxGNMBT4CoDhFT536c/89Uhbd6suslDw7UUJaTZHJlobaGis66C9sASxwNLWSdTx2fgpT4K7he50K6gR7KqIRWe12VH83/XQyFrwgInpUsfT+loUbHzkcv8wY0To/r0hpyD5qbJjl7YJ2hnE3m2ZDGnQKhUSs6cO34M6vcQ8LJ7tMx/LDMkRiQ2G8LM9W6wqar0v+ZKFphYWVZuq/Eru+BDCsZ2+tpF3kfse+2iTUp4u2wjZ5dCKF40jpac= rsa@example.org';
/** The example profile's key before it was fixed: 70 base64 characters whose length field disagrees with its bytes. */
const OLD_EXAMPLE =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ5ZXhhbXBsZS1vcGVyYXRvci1rZXktcmVwbGFjZS1tZQ ops@example.org';
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7luY7goGNI2BPauneXmfEz05ztqBTQDZA31xiYp0v1oxV3n/O/stLs+bt6G6mKJonjbPCOmrXTog5BpefEWO75deMxstaqh5e+ndKn/btVdoIKmcD+naJm+DMDKYBNRKMjZB5Lb5lf9/bc+4/599kzQqeoKaGpnJFvtIf/lUNRQ== short';

const blobOf = (line: string) => Buffer.from(line.split(' ')[1], 'base64');
const lineOf = (type: string, blob: Buffer) => `${type} ${blob.toString('base64')} x`;

describe('parseSshPublicKey', () => {
  test('ED25519 and RSA keys parse, with the fingerprint ssh-keygen prints', () => {
    expect(parseSshPublicKey(ED25519)).toEqual({
      type: 'ssh-ed25519',
      bits: 256,
      fingerprint: 'SHA256:9VzcypmK1qf/ArUKi0e59i+RRe7jOPltTsG0gxLRO7k',
      comment: 'ops@example.org',
    });
    expect(parseSshPublicKey(RSA_3072)).toMatchObject({
      type: 'ssh-rsa',
      bits: 3072,
      fingerprint: 'SHA256:UzoDOhNMtpJB9mZZ3P1e1z4wkMAaLN6SpoRlulkZlXM',
    });
  });

  test.each([
    ['the old example key (70 base64 characters)', OLD_EXAMPLE, /its key data is not valid base64/],
    ['a type EC2 does not import', 'ecdsa-sha2-nistp256 AAAAE2VjZHNh x', /is not ssh-ed25519 or ssh-rsa/],
    ['no key data', 'ssh-ed25519', /no key data/],
    ['not base64', 'ssh-ed25519 AAAA!!!! x', /not valid base64/],
    ['a type that disagrees with the data', 'ssh-rsa ' + ED25519.split(' ')[1], /of type "ssh-ed25519", not "ssh-rsa"/],
    [
      'stray bytes after the key',
      lineOf('ssh-ed25519', Buffer.concat([blobOf(ED25519), Buffer.from([0, 0, 0, 0])])),
      /4 stray bytes/,
    ],
    ['a truncated key', lineOf('ssh-ed25519', blobOf(ED25519).subarray(0, 40)), /runs past the end/],
    ['an RSA modulus under 2048 bits', RSA_1024, /its RSA modulus has 1024 bits; use at least 2048/],
  ])('refuses %s', (_what, line, message) => {
    expect(() => parseSshPublicKey(line)).toThrow(message);
  });
});
