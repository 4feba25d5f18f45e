// The OpenAPI document covers the whole API: every registered /v1 route is published with a summary and
// the shared error shape, and every authenticated route names the audit action it is recorded under.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

/** Routes deliberately left out of the document (the document itself). */
const UNPUBLISHED = new Set(['GET /v1/openapi.json']);

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

test('every /v1 route is in the OpenAPI document with a summary and the error conventions', async () => {
  const doc = (await h.request('GET', '/v1/openapi.json')).json;
  const routes = h.service.app.routeTable.filter((r) => r.url.startsWith('/v1/'));
  assert.ok(routes.length >= 30, `found ${routes.length} routes`);
  const problems: string[] = [];
  for (const r of routes) {
    const name = `${r.method} ${r.url}`;
    if (UNPUBLISHED.has(name)) continue;
    const op = doc.paths?.[openApiPath(r.url)]?.[r.method.toLowerCase()];
    if (!op) {
      problems.push(`${name}: not in the document`);
      continue;
    }
    if (!op.summary) problems.push(`${name}: no summary`);
    const codes = Object.keys(op.responses ?? {});
    // 101 is the success of a WebSocket upgrade (GET /v1/events).
    if (!codes.some((c) => /^(2\d\d|101)$/.test(c))) problems.push(`${name}: no success response`);
    if (!codes.includes('400')) problems.push(`${name}: no 400 response`);
    if (r.auth && !codes.includes('401')) problems.push(`${name}: authenticated but no 401 response`);
    const error = op.responses?.['400']?.content?.['application/json']?.schema;
    if (error && JSON.stringify(error.required) !== JSON.stringify(['error', 'message']))
      problems.push(`${name}: 400 is not {error, message}`);
    if (r.auth && !r.action) problems.push(`${name}: authenticated but names no audit action`);
  }
  assert.deepEqual(problems, []);
});

test('the document itself needs no token and lists the bearer scheme', async () => {
  const r = await h.request('GET', '/v1/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.json.openapi, '3.1.0');
  assert.deepEqual(r.json.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
});
