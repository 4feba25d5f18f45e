// Rate limits, counted before anything else is spent on a request: per source address BEFORE authentication (so
// junk tokens and unknown paths count, and are refused with 429 instead of each being verified and audited), then
// per signed-in user after it (one user spread over many addresses). Counters are in memory, per instance.
// fastify-plugin: the hooks must run for every route and for the 404 handler. Routes with config.rateLimit: false
// (the load balancer's health check) are not counted.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

export interface RateLimitOptions {
  perAddressPerMinute: number;
  perUserPerMinute: number;
}

type Limiter = (
  req: FastifyRequest,
) => Promise<{ isExceeded?: boolean; max?: number; remaining?: number; ttl?: number }>;

const exempt = (req: FastifyRequest) => req.routeOptions.config?.rateLimit === false;

async function check(limiter: Limiter, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const r = await limiter(req);
  const resetSeconds = Math.ceil((r.ttl ?? 0) / 1000);
  void reply.header('x-ratelimit-limit', r.max).header('x-ratelimit-remaining', r.remaining ?? 0);
  void reply.header('x-ratelimit-reset', resetSeconds);
  if (r.isExceeded) {
    void reply.header('retry-after', resetSeconds);
    throw new HttpError(429, `rate limit exceeded, retry in ${resetSeconds} s`);
  }
}

/** Registered before authentication: counts every request by its source address. */
async function byAddress(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  // global: false: the plugin adds no per-route hooks (those would run after authentication); only its store is used.
  await app.register(rateLimit, { global: false });
  const limiter = app.createRateLimit({
    max: opts.perAddressPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => `ip:${req.ip}`,
  }) as Limiter;
  app.addHook('onRequest', async (req, reply) => {
    if (!exempt(req)) await check(limiter, req, reply);
  });
}

/** Registered after authentication: counts a signed-in user's requests wherever they come from. */
async function byUser(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const limiter = app.createRateLimit({
    max: opts.perUserPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => `user:${req.identity!.userId}`,
  }) as Limiter;
  app.addHook('onRequest', async (req, reply) => {
    if (req.identity && !exempt(req)) await check(limiter, req, reply);
  });
}

export const rateLimitByAddress = fp(byAddress, { name: 'hmk-rate-limit-address' });
export const rateLimitByUser = fp(byUser, { name: 'hmk-rate-limit-user', dependencies: ['hmk-rate-limit-address'] });
