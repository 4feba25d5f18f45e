// Transport rules for every request and response. fastify-plugin: they apply to every route and the 404 handler.
//  * Cache-Control: no-store on every response (replies carry identities, audit data and PHI; no proxy or browser
//    cache may keep them), unless a route set its own.
//  * Request bodies are UTF-8 JSON, uncompressed: a Content-Encoding other than identity, or a JSON charset other than
//    UTF-8, is a 415 naming the header and the fix (the service decodes neither; before, a gzip body read as bad JSON).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

const printable = (v: string) => v.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);

async function transport(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
  // preParsing: after authentication, before the body is read.
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      throw new HttpError(
        415,
        `content-encoding "${printable(encoding)}" is not accepted: send the body uncompressed (no Content-Encoding, or identity)`,
      );
    }
    const type = req.headers['content-type']?.toLowerCase() ?? '';
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/.exec(type)?.[1];
    if (/^application\/([\w.+-]+\+)?json\b/.test(type) && charset !== undefined && !/^utf-?8$/.test(charset)) {
      throw new HttpError(
        415,
        `content-type charset "${printable(charset)}" is not accepted: send UTF-8 JSON (charset=utf-8, or no charset)`,
      );
    }
    return payload;
  });
}

export default fp(transport, { name: 'hmk-transport' });
