// Every route as registered, so a test can hold the OpenAPI document and the role matrix to all of them; and the
// default that a /v1 route declaring no query parameters refuses any. fastify-plugin: it must see the routes of
// every route plugin, so it is registered on the root before them.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RouteEntry {
  method: string;
  url: string;
  auth: boolean;
  action: string | undefined;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

async function routeTable(app: FastifyInstance): Promise<void> {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (r) => {
    // A route that declares no query parameters refuses any (a typo like ?limt=5 is a 400, not silently ignored).
    if (r.url.startsWith('/v1/') && !r.schema?.hide && !r.schema?.querystring) {
      r.schema = { ...r.schema, querystring: { type: 'object', properties: {}, additionalProperties: false } };
    }
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD')
        table.push({
          method,
          url: r.url,
          // Bearer token routes only: the event stream's upgrade ('ticket') checks a one-time ticket instead.
          auth: r.config?.auth === undefined || r.config.auth === true,
          action: r.config?.action,
          hidden: r.schema?.hide === true,
        });
    }
  });
}

export default fp(routeTable, { name: 'hmk-route-table' });
