// Roles and least privilege (P07): admin manages the directory (enterprise mode) but reads no conversation it
// is not part of; auditor reads no message bodies without break-glass; members may be limited to
// clinicians. Each rule is checked through the API and again in Postgres alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { asRoles, createHarness, type Harness, type TestUser } from './helpers.js';

let h: Harness; // enterprise directory, MEMBERS_CLINICIANS_ONLY=true
let open: Harness; // public directory, members unrestricted
let doc: TestUser, nurse: TestUser, pat: TestUser, sam: TestUser, admin: TestUser, auditor: TestUser;
let docNurse: string;

before(async () => {
  h = await createHarness({ MEMBERS_CLINICIANS_ONLY: 'true' });
  open = await createHarness({ DIRECTORY_MODE: 'public' });
  doc = await h.user('doc', { groups: ['clinician'] });
  nurse = await h.user('nurse', { groups: ['clinician'] });
  pat = await h.user('pat', { groups: ['member'] });
  sam = await h.user('sam', { groups: ['member'] });
  admin = await h.user('admin', { groups: ['admin'] });
  auditor = await h.user('auditor', { groups: ['auditor'] });
  docNurse = (await h.request('POST', '/v1/conversations', { token: doc.token, body: { participantIds: [nurse.id] } }))
    .json.id;
  await h.request('POST', `/v1/conversations/${docNurse}/messages`, {
    token: doc.token,
    body: { body: 'rounds at 9' },
  });
});
after(async () => {
  await h.close();
  await open.close();
});

const start = (hh: Harness, u: TestUser, ids: string[]) =>
  hh.request('POST', '/v1/conversations', { token: u.token, body: { participantIds: ids } });

test('admin and auditor cannot read conversations they are not part of', async () => {
  for (const u of [admin, auditor]) {
    assert.equal((await h.request('GET', `/v1/conversations/${docNurse}`, { token: u.token })).status, 404);
    assert.equal((await h.request('GET', `/v1/conversations/${docNurse}/messages`, { token: u.token })).status, 404);
    assert.deepEqual((await h.request('GET', '/v1/conversations', { token: u.token })).json, []);
    const bodies = await asRoles(h, u, ['admin', 'auditor'], 'SELECT count(*)::int AS n FROM hmk.message_bodies');
    assert.equal(bodies.rows[0].n, 0, 'no body rows visible in Postgres either');
  }
});

test('members-clinicians-only: a member may start a conversation with clinicians only (403 naming body.participantIds)', async () => {
  assert.equal((await start(h, pat, [doc.id])).status, 201);
  assert.equal((await start(h, pat, [doc.id, nurse.id])).status, 201, 'a group of clinicians');
  for (const ids of [[sam.id], [doc.id, sam.id], [admin.id]]) {
    const r = await start(h, pat, ids);
    assert.equal(r.status, 403, JSON.stringify(ids));
    assert.match(r.json.message, /^body\.participantIds /);
  }
  // Clinicians are not limited.
  assert.equal((await start(h, doc, [sam.id])).status, 201);
  const db = await h.owner();
  const refused = (
    await db.query("SELECT count(*)::int AS n FROM hmk.audit_log WHERE action = 'conversation.create' AND status = 403")
  ).rows[0].n;
  assert.equal(refused, 3, 'each refusal is audited');
});

test('members-clinicians-only is enforced by hmk.create_conversation itself', async () => {
  const create = 'SELECT * FROM hmk.create_conversation($1::uuid[], false, 32, $2)';
  await assert.rejects(asRoles(h, pat, ['member'], create, [[sam.id], true]), { code: '42501' });
  await assert.rejects(
    asRoles(h, pat, [], create, [[sam.id], true]),
    { code: '42501' },
    'no role at all is treated as a member',
  );
  assert.equal((await asRoles(h, pat, ['member'], create, [[sam.id], false])).rowCount, 1, 'switch off: allowed');
  assert.equal((await asRoles(h, pat, ['member'], create, [[nurse.id], true])).rowCount, 1);
  assert.equal((await asRoles(h, nurse, ['clinician'], create, [[sam.id], true])).rowCount, 1);
});

test('with the switch off (default) members may talk to anyone', async () => {
  const a = await open.user('pat', { groups: ['member'] });
  const b = await open.user('sam', { groups: ['member'] });
  assert.equal(open.config.membersCliniciansOnly, false);
  assert.equal((await start(open, a, [b.id])).status, 201);
});

test('admin corrects a display name in enterprise mode; everyone else 403; public mode 403', async () => {
  const patch = (hh: Harness, u: TestUser, id: string, displayName: unknown) =>
    hh.request('PATCH', `/v1/contacts/${id}`, { token: u.token, body: { displayName } });
  const r = await patch(h, admin, nurse.id, 'Nurse N.');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { id: nurse.id, username: 'nurse', displayName: 'Nurse N.' });
  for (const u of [doc, pat, auditor]) {
    const refused = await patch(h, u, nurse.id, 'Hacked');
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /admin role/);
  }
  assert.equal((await patch(h, admin, nurse.id, 'x\u0007')).status, 400);
  assert.match(
    (await h.request('PATCH', `/v1/contacts/${nurse.id}`, { token: admin.token, body: {} })).json.message,
    /body\.displayName/,
  );
  assert.equal((await patch(h, admin, '00000000-0000-4000-8000-000000000000', 'Nobody')).status, 404);

  const pubAdmin = await open.user('root', { groups: ['admin'] });
  const target = await open.user('target');
  const pub = await patch(open, pubAdmin, target.id, 'New');
  assert.equal(pub.status, 403);
  assert.match(pub.json.message, /enterprise mode/);
  assert.equal((await open.request('POST', `/v1/contacts/${target.id}/close`, { token: pubAdmin.token })).status, 403);

  const db = await h.owner();
  const row = (await db.query("SELECT * FROM hmk.audit_log WHERE action = 'contact.admin_update' AND outcome = 'ok'"))
    .rows[0];
  assert.equal(row.actor_id, admin.id);
  assert.deepEqual(row.target_ids, [nurse.id]);
});

test('directory edits are refused by Postgres without the admin role', async () => {
  await assert.rejects(
    asRoles(h, doc, ['clinician'], 'SELECT * FROM hmk.admin_set_display_name($1, $2)', [nurse.id, 'x']),
    { code: '42501' },
  );
  await assert.rejects(asRoles(h, auditor, ['auditor'], 'SELECT * FROM hmk.close_account($1)', [nurse.id]), {
    code: '42501',
  });
  // Nor can anyone write another user's entry directly.
  const upd = await asRoles(h, admin, ['admin'], 'UPDATE hmk.contacts SET display_name = $2 WHERE id = $1', [
    nurse.id,
    'x',
  ]);
  assert.equal(upd.rowCount, 0);
  assert.equal(
    (await asRoles(h, admin, ['admin'], 'SELECT * FROM hmk.admin_set_display_name($1, $2)', [nurse.id, 'Nurse']))
      .rowCount,
    1,
  );
});
