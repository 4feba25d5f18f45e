// Production entry point: load config (one clear line on error), migrate, serve, stop on SIGTERM.
import { startService } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`configuration error: ${err.message}\n`);
  process.exit(2);
}

try {
  const service = await startService(config);
  await service.app.listen({ host: config.host, port: config.port });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, 'shutting down');
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  if (err instanceof ConfigError) {
    // e.g. the startup guard refusing a serving login that could bypass RLS.
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  const e = err as { name?: string; code?: string; message?: string };
  process.stderr.write(`startup failed: ${e.name ?? 'Error'}${e.code ? ` (${e.code})` : ''}: ${e.message ?? ''}\n`);
  process.exit(1);
}
