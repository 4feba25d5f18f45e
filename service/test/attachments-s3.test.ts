// The S3 attachment store, offline: presigned URLs are computed locally with fake static credentials and a
// fixed region (no request is sent), and HeadObject/ListObjectVersions/DeleteObjects go to aws-sdk-client-mock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3AttachmentStore, createS3Client } from '../src/attachments/s3.js';

const BUCKET = 'phi-attachments-bucket';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OBJECT = 'attachments/6f1c2a9e-8a51-4a39-9d8e-0c1f4f0f8b11/0b7d3c84-2f0e-4a63-b7a2-5d7f8f5e2c10';

const saved = { ...process.env };
let s3: S3Client;
let store: S3AttachmentStore;
before(() => {
  // The default credential chain reads these first: fake, static, no network.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  s3 = createS3Client('us-east-1');
  store = new S3AttachmentStore(s3, BUCKET, KEY_ARN, 300);
});
after(() => {
  process.env = saved;
});

const SSE_AND_BODY_HEADERS =
  'content-length;content-type;host;if-none-match;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id';

test('presigned upload: 5 minutes, SSE-KMS with the PHI key, type, exact length and write-once (If-None-Match) all signed as headers', async () => {
  const start = Date.now();
  const up = await store.presignUpload(OBJECT, 'image/png', 12345);
  const url = new URL(up.url);
  assert.equal(url.host, `${BUCKET}.s3.us-east-1.amazonaws.com`);
  assert.equal(url.pathname, `/${OBJECT}`);
  const q = url.searchParams;
  assert.equal(q.get('X-Amz-Expires'), '300');
  assert.equal(q.get('X-Amz-SignedHeaders'), SSE_AND_BODY_HEADERS);
  assert.match(q.get('X-Amz-Credential')!, /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request$/);
  // Signed as headers, not hoisted into the query, and no checksum of an empty body.
  assert.deepEqual(
    [...q.keys()].filter((k) => /server-side|checksum|content-(type|length)/i.test(k)),
    [],
  );
  assert.equal(up.method, 'PUT');
  assert.deepEqual(up.headers, {
    'content-type': 'image/png',
    'content-length': '12345',
    'if-none-match': '*',
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
  });
  const ttl = up.expiresAt.getTime() - start;
  assert.ok(ttl > 295_000 && ttl <= 301_000, `expires in ${ttl} ms`);
});

test('the signature changes with the content type, the length and the KMS key (they are bound by it)', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-01-02T03:04:05Z') });
  const sig = async (s: S3AttachmentStore, type: string, size: number) =>
    new URL((await s.presignUpload(OBJECT, type, size)).url).searchParams.get('X-Amz-Signature');
  const base = await sig(store, 'image/png', 100);
  assert.equal(await sig(store, 'image/png', 100), base, 'deterministic for the same request and time');
  assert.notEqual(await sig(store, 'image/jpeg', 100), base, 'content type is signed');
  assert.notEqual(await sig(store, 'image/png', 101), base, 'length is signed');
  const otherKey = new S3AttachmentStore(s3, BUCKET, KEY_ARN.replace('1234abcd', 'ffffffff'), 300);
  assert.notEqual(await sig(otherKey, 'image/png', 100), base, 'KMS key id is signed');
});

test('URLs never live longer than 5 minutes, whatever the store is given', async () => {
  const long = new S3AttachmentStore(s3, BUCKET, KEY_ARN, 3600);
  assert.equal(
    new URL((await long.presignUpload(OBJECT, 'image/png', 1)).url).searchParams.get('X-Amz-Expires'),
    '300',
  );
  const short = new S3AttachmentStore(s3, BUCKET, KEY_ARN, 60);
  const down = await short.presignDownload(OBJECT);
  assert.equal(down.method, 'GET');
  assert.deepEqual(down.headers, {});
  const q = new URL(down.url).searchParams;
  assert.equal(q.get('X-Amz-Expires'), '60');
  assert.equal(q.get('X-Amz-SignedHeaders'), 'host');
  assert.equal(new URL((await long.presignDownload(OBJECT)).url).searchParams.get('X-Amz-Expires'), '300');
});

test('a download may be cut short to end by a given time (a break-glass grant): X-Amz-Expires honours it', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-01-02T03:04:05.000Z') });
  const expires = async (notAfter?: Date) => {
    const d = await store.presignDownload(OBJECT, notAfter);
    const q = new URL(d.url).searchParams;
    assert.equal(q.get('X-Amz-Date'), '20260102T030405Z');
    return { seconds: q.get('X-Amz-Expires'), expiresAt: d.expiresAt.toISOString() };
  };
  assert.deepEqual(await expires(), { seconds: '300', expiresAt: '2026-01-02T03:09:05.000Z' });
  // Whole seconds, rounded down: never past the cap.
  assert.deepEqual(await expires(new Date('2026-01-02T03:05:35.900Z')), {
    seconds: '90',
    expiresAt: '2026-01-02T03:05:35.000Z',
  });
  assert.deepEqual(
    await expires(new Date('2026-01-02T04:00:00Z')),
    { seconds: '300', expiresAt: '2026-01-02T03:09:05.000Z' },
    'a later cap changes nothing',
  );
  await assert.rejects(expires(new Date('2026-01-02T03:04:05.500Z')), /at least 1 second/);
  await assert.rejects(expires(new Date('2026-01-02T03:00:00Z')), /at least 1 second/);
});

test('a client with the SDK default checksum mode is refused rather than handing out a URL S3 would reject', async () => {
  const defaults = new S3Client({ region: 'us-east-1' });
  const s = new S3AttachmentStore(defaults, BUCKET, KEY_ARN, 300);
  await assert.rejects(s.presignUpload(OBJECT, 'image/png', 10), /checksum/);
});

test('head: a prefix-scoped listing decides presence (a HEAD on a missing key may be a 403); errors propagate', async () => {
  const m = mockClient(s3);
  try {
    const listing = (key: string, keys: string[]) =>
      m
        .on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: key, MaxKeys: 1 })
        .resolves({ Contents: keys.map((Key) => ({ Key })) });
    listing(OBJECT, [OBJECT]);
    m.on(HeadObjectCommand, { Bucket: BUCKET, Key: OBJECT }).resolves({
      ContentLength: 42,
      ContentType: 'application/pdf',
    });
    assert.deepEqual(await store.head(OBJECT), { sizeBytes: 42, contentType: 'application/pdf' });
    // Missing: only a longer sibling shares the prefix. No HEAD is sent, so a 403 for it cannot matter.
    listing('attachments/missing', ['attachments/missing-sibling']);
    m.on(HeadObjectCommand, { Key: 'attachments/missing' }).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    assert.equal(await store.head('attachments/missing'), undefined);
    // Listed but the HEAD is denied: a real permission problem, raised.
    listing('attachments/denied', ['attachments/denied']);
    m.on(HeadObjectCommand, { Key: 'attachments/denied' }).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    await assert.rejects(store.head('attachments/denied'), { name: 'AccessDenied' });
  } finally {
    m.restore();
  }
});

test('deleteObjects removes every version and delete marker of exactly those keys, across pages', async () => {
  const m = mockClient(s3);
  try {
    const sibling = `${OBJECT}x`; // shares the prefix, must survive
    m.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: OBJECT,
        NextVersionIdMarker: 'v2',
        Versions: [
          { Key: OBJECT, VersionId: 'v1' },
          { Key: OBJECT, VersionId: 'v2' },
        ],
      })
      .resolvesOnce({
        IsTruncated: false,
        Versions: [{ Key: sibling, VersionId: 's1' }],
        DeleteMarkers: [{ Key: OBJECT, VersionId: 'dm1' }],
      })
      .resolvesOnce({ IsTruncated: false });
    m.on(DeleteObjectsCommand).resolves({});
    await store.deleteObjects([OBJECT, 'attachments/gone']);
    assert.deepEqual(
      m.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input),
      [
        { Bucket: BUCKET, Prefix: OBJECT, KeyMarker: undefined, VersionIdMarker: undefined },
        { Bucket: BUCKET, Prefix: OBJECT, KeyMarker: OBJECT, VersionIdMarker: 'v2' },
        { Bucket: BUCKET, Prefix: 'attachments/gone', KeyMarker: undefined, VersionIdMarker: undefined },
      ],
    );
    const deletes = m.commandCalls(DeleteObjectsCommand);
    assert.equal(deletes.length, 1);
    assert.deepEqual(deletes[0].args[0].input, {
      Bucket: BUCKET,
      Delete: {
        Quiet: true,
        Objects: [
          { Key: OBJECT, VersionId: 'v1' },
          { Key: OBJECT, VersionId: 'v2' },
          { Key: OBJECT, VersionId: 'dm1' },
        ],
      },
    });

    m.reset();
    m.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    await store.deleteObjects(['attachments/none']);
    assert.equal(m.commandCalls(DeleteObjectsCommand).length, 0, 'nothing stored, nothing to delete');
  } finally {
    m.restore();
  }
});

test('deleteObjects sends at most 1000 versions per call and fails loudly when S3 keeps any', async () => {
  const m = mockClient(s3);
  try {
    const versions = Array.from({ length: 1500 }, (_, i) => ({ Key: OBJECT, VersionId: `v${i}` }));
    m.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: versions });
    m.on(DeleteObjectsCommand).resolves({});
    await store.deleteObjects([OBJECT]);
    assert.deepEqual(
      m.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!.length),
      [1000, 500],
    );

    m.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: OBJECT, VersionId: 'v3', Code: 'AccessDenied' }] });
    await assert.rejects(store.deleteObjects([OBJECT]), /did not delete 1 object versions \(AccessDenied\)/);
  } finally {
    m.restore();
  }
});
