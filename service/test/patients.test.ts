// Patient profiles (P04, P05, P06): PHI kept apart, sealed field by field, never in default replies; a
// reveal takes a reason and is a high-severity audit entry; only the member and clinicians in a care
// relationship may touch it (404 for everyone else), in the service and in Postgres.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { asRoles, createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness;
let pat: TestUser, other: TestUser, carer: TestUser, stranger: TestUser, admin: TestUser, auditor: TestUser;
const MRN = 'MRN-77310452';
const DOB = '1984-03-09';
const REASON = 'Medication reconciliation before discharge';

before(async () => {
  h = await createHarness();
  pat = await h.user('pat', { groups: ['member'] });
  other = await h.user('other', { groups: ['member'] });
  carer = await h.user('carer', { groups: ['clinician'] });
  stranger = await h.user('stranger', { groups: ['clinician'] });
  admin = await h.user('admin', { groups: ['admin'] });
  auditor = await h.user('auditor', { groups: ['auditor'] });
  assert.equal(
    (await h.request('POST', '/v1/conversations', { token: pat.token, body: { participantIds: [carer.id] } })).status,
    201,
  );
});
after(() => h.close());

const url = (id: string, tail = '') => `/v1/patients/${id}/profile${tail}`;
const put = (u: TestUser, id: string, body: unknown) => h.request('PUT', url(id), { token: u.token, body });
const get = (u: TestUser, id: string) => h.request('GET', url(id), { token: u.token });
const reveal = (u: TestUser, id: string, body: unknown) =>
  h.request('POST', url(id, '/reveal'), { token: u.token, body });

test('the member sets their profile; the reply says which fields are present, never the values', async () => {
  const r = await put(pat, pat.id, { mrn: MRN, dateOfBirth: DOB });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.present, ['dateOfBirth', 'mrn']);
  assert.equal(r.json.memberId, pat.id);
  for (const u of [pat, carer]) {
    const g = await get(u, pat.id);
    assert.equal(g.status, 200);
    assert.deepEqual(Object.keys(g.json).sort(), ['memberId', 'present', 'updatedAt']);
    assert.doesNotMatch(JSON.stringify(g.json), /77310452|1984/);
  }
  assert.deepEqual((await get(other, other.id)).json.present, [], 'no profile yet');
});

test('bad input is refused naming the field', async () => {
  for (const dateOfBirth of ['2001-02-30', '1984-3-9', '2999-01-01', '1850-01-01', 'yesterday']) {
    const r = await put(pat, pat.id, { dateOfBirth });
    assert.equal(r.status, 400, dateOfBirth);
    assert.match(r.json.message, /^body\.dateOfBirth /);
  }
  assert.match((await put(pat, pat.id, { mrn: '   ' })).json.message, /^body\.mrn /);
  assert.equal((await put(pat, pat.id, {})).status, 400);
  assert.match((await put(pat, pat.id, { ssn: '1' })).json.message, /ssn/);
  assert.match((await reveal(carer, pat.id, { reason: 'because' })).json.message, /^body\.reason /);
  assert.match((await reveal(carer, pat.id, { reason: '          x' })).json.message, /^body\.reason /);
  assert.match((await reveal(carer, pat.id, { reason: REASON, fields: ['ssn'] })).json.message, /^body\.fields/);
});

test('outside the care relationship: 404, exactly like a member that does not exist', async () => {
  for (const u of [stranger, admin, auditor, other]) {
    assert.equal((await get(u, pat.id)).status, 404, u.username);
    assert.equal((await put(u, pat.id, { mrn: 'X-1' })).status, 404, u.username);
    assert.equal((await reveal(u, pat.id, { reason: REASON })).status, 404, u.username);
  }
  assert.deepEqual(
    (await get(stranger, pat.id)).json,
    (await get(stranger, '00000000-0000-4000-8000-000000000000')).json,
  );
  // Profiles belong to members only: a clinician has none, not even their own.
  assert.equal((await put(carer, carer.id, { mrn: 'X-2' })).status, 404);
  const db = await h.owner();
  assert.equal(
    (await db.query('SELECT count(*)::int AS n FROM hmk.patient_reveals')).rows[0].n,
    0,
    'refused reveals log nothing',
  );
});

test('a caring clinician reveals with a reason: values returned, audited high, reason kept apart', async () => {
  const r = await reveal(carer, pat.id, { reason: REASON });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { memberId: pat.id, mrn: MRN, dateOfBirth: DOB });
  const only = await reveal(carer, pat.id, { reason: REASON, fields: ['mrn'] });
  assert.deepEqual(only.json, { memberId: pat.id, mrn: MRN });

  const db = await h.owner();
  const rows = (
    await db.query("SELECT * FROM hmk.audit_log WHERE action = 'patient.reveal' AND outcome = 'ok' ORDER BY id")
  ).rows;
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((x) => x.detail),
    [{ fields: ['dateOfBirth', 'mrn'] }, { fields: ['mrn'] }],
  );
  for (const x of rows) {
    assert.equal(x.severity, 'high');
    assert.equal(x.actor_id, carer.id);
    assert.deepEqual(x.target_ids, [pat.id]);
    assert.doesNotMatch(JSON.stringify(x), /Medication|77310452|1984/);
  }
  const log = (await db.query('SELECT * FROM hmk.patient_reveals ORDER BY at, id')).rows;
  assert.equal(log.length, 2);
  assert.equal(log[0].reason, REASON);
  assert.equal(log[0].user_id, carer.id);
  assert.deepEqual(log[0].fields, ['dateOfBirth', 'mrn']);
  assert.deepEqual(
    log.map((x) => x.request_id).sort(),
    rows.map((x) => x.request_id).sort(),
    'reveal log and audit share request ids',
  );
  assert.ok(!h.logs.join('').match(/Medication|77310452|1984-03-09/), 'nothing in the logs');
});

test('the clinician may update it too, and the table holds no plaintext', async () => {
  assert.equal((await put(carer, pat.id, { mrn: `${MRN}-B` })).status, 200);
  assert.equal((await reveal(pat, pat.id, { reason: 'checking my own record' })).json.mrn, `${MRN}-B`);
  const db = await h.owner();
  const rows = (await db.query('SELECT * FROM hmk.patient_profiles WHERE member_id = $1', [pat.id])).rows;
  assert.equal(rows.length, 2);
  for (const row of rows) {
    for (const col of ['ciphertext', 'encrypted_key', 'iv']) {
      const bytes: Buffer = row[col];
      for (const secret of [MRN, '77310452', DOB, '19840309']) {
        assert.equal(bytes.indexOf(Buffer.from(secret)), -1, `${col} holds ${secret}`);
      }
    }
    assert.equal(row.updated_by, row.field === 'mrn' ? carer.id : pat.id);
  }
  const dump = (await db.query("SELECT string_agg(t::text, '|') AS s FROM hmk.patient_profiles t")).rows[0].s as string;
  assert.doesNotMatch(dump, /77310452|1984-03-09|7733313034|313938342d30332d3039/, 'not even as hex');
  // The directory holds none of it.
  const contacts = (await db.query("SELECT string_agg(c::text, '|') AS s FROM hmk.contacts c")).rows[0].s as string;
  assert.doesNotMatch(contacts, /77310452|1984/);
});

test('Postgres enforces the care relationship on its own', async () => {
  const select = 'SELECT count(*)::int AS n FROM hmk.patient_profiles WHERE member_id = $1';
  assert.equal((await asRoles(h, carer, ['clinician'], select, [pat.id])).rows[0].n, 2);
  assert.equal((await asRoles(h, pat, ['member'], select, [pat.id])).rows[0].n, 2);
  assert.equal((await asRoles(h, stranger, ['clinician'], select, [pat.id])).rows[0].n, 0);
  assert.equal(
    (await asRoles(h, carer, ['member'], select, [pat.id])).rows[0].n,
    0,
    'a carer without the clinician role sees nothing',
  );
  assert.equal(
    (await asRoles(h, admin, ['admin', 'auditor'], 'SELECT count(*)::int AS n FROM hmk.patient_profiles')).rows[0].n,
    0,
  );
  const insert = `INSERT INTO hmk.patient_profiles (member_id, field, key_id, encrypted_key, iv, ciphertext, updated_by)
                  VALUES ($1, 'mrn', 'k', '\\x00', '\\x00', '\\x00', $2)`;
  await assert.rejects(asRoles(h, stranger, ['clinician'], insert, [pat.id, stranger.id]), { code: '42501' });
  await assert.rejects(
    asRoles(h, carer, ['clinician'], insert.replace("'mrn'", "'dateOfBirth'"), [other.id, carer.id]),
    { code: '42501' },
  );
  await assert.rejects(
    asRoles(
      h,
      stranger,
      ['clinician'],
      "INSERT INTO hmk.patient_reveals (member_id, user_id, fields, reason, request_id) VALUES ($1, $2, '{}', 'some reason here', 'r')",
      [pat.id, stranger.id],
    ),
    { code: '42501' },
  );
  assert.equal(
    (await asRoles(h, carer, ['clinician'], 'SELECT count(*)::int AS n FROM hmk.patient_reveals')).rows[0].n,
    0,
    'reasons are for auditors to review',
  );
  assert.ok(
    (await asRoles(h, auditor, ['auditor'], 'SELECT count(*)::int AS n FROM hmk.patient_reveals')).rows[0].n >= 2,
  );
});
