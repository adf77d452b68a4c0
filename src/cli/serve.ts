// `updraft serve`: run the server. Every flag also reads an UPDRAFT_* variable (the flag wins).
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { addServeOptions, configFrom } from './serve-options.js';
import { action } from './output.js';

/** The longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

export function register(program: Command): void {
  addServeOptions(program.command('serve').description('run the Updraft MDM server')).action(
    action(async (opts: Record<string, string | boolean | undefined>) => {
      const config = configFrom(opts);
      // V8 doubles the young generation whenever many objects survive a scavenge (startup, an enrollment
      // burst) up to 2 × 16 MB, which then stays resident. The server's long-lived state lives in the old
      // generation and a request's garbage dies young, so the young generation grows no further: ~15 MB
      // less peak RSS under the client bench (docs/performance.md). Set here, at run time: given on
      // Node 20's command line the same flag has no effect. (Starting a worker thread resets it: the
      // server starts none.)
      setFlagsFromString('--semi-space-growth-factor=1');
      // And the old generation: after each full collection V8 lets it grow by a factor of its choosing,
      // up to 4 × what survived with a heap limit as large as Node sets on a big machine, so a busy
      // server's RSS swings far above what it holds: 500 devices checking in peaked at 128–141 MB. A
      // fixed 2 × (V8 still allows at least 8 MB more) held them to 118–119 MB and an enrollment burst's
      // peak from 98–100 to 92–95 MB; an idle server with 10,000 enrollments stays at 70–71 MB as before.
      // CPU: the same within the scatter, but for the cold start's first 250 Idle, 0.15–0.2 ms dearer in
      // two of five alternated series (docs/performance.md, session 12). 1.2 × held 500 devices at
      // 109–112 MB but made a burst's PKIOperations ~20 % dearer.
      setFlagsFromString('--heap-growing-percent=100');
      const { startServer } = await import('../server.js'); // loaded here: the other commands stay light
      const server = await startServer(config);
      let pushHint: string | null = null;
      if (!server.deps.pusher.configured) {
        const { PushCertService, pushSetupHint } = await import('../push/pushcert-service.js');
        pushHint = pushSetupHint(await new PushCertService({ store: server.deps.store, dataDir: config.dataDir }).pendingState());
      }
      const dataDir = resolve(config.dataDir);
      const db = /^postgres(ql)?:\/\//.test(config.db) ? config.db.replace(/\/\/[^@/]*@/, '//') : config.db;
      console.log(`Updraft listening on ${server.url} (devices reach it as ${config.publicUrl})`);
      console.log(`Data: ${dataDir} (database: ${db})`);
      if (pushHint) console.log(pushHint);
      console.log(
        server.apiKeyFile
          ? `API key: in ${server.apiKeyFile} (read it with: cat ${server.apiKeyFile})`
          : 'API key: the one given by --api-key or UPDRAFT_API_KEY',
      );
      if (config.webhookUrl) console.log(`Webhooks: ${config.webhookUrl}`);
      if (!config.publicUrl.startsWith('https://')) console.log('Note: devices require HTTPS: put a TLS proxy in front and set --public-url, or give --tls-cert/--tls-key');
      // SIGTERM / SIGINT: stop accepting, finish the requests in flight, stop the workers, close the
      // store, exit 0; a second signal, or SHUTDOWN_TIMEOUT_MS without the end, exits at once (1).
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) {
          console.log(`${signal} again: exiting now`);
          process.exit(1);
        }
        closing = true;
        console.log(`${signal}: shutting down (finishing requests in flight)`);
        setTimeout(() => {
          console.error(`shutdown took over ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting`);
          process.exit(1);
        }, SHUTDOWN_TIMEOUT_MS).unref();
        server.close().then(
          () => {
            console.log('stopped');
            process.exit(0);
          },
          (err: unknown) => {
            console.error(`shutdown failed: ${(err as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    }),
  );
}
