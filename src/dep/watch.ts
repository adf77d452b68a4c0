// The server's watch over DEP server tokens: at start and every hour, a warning in the log for each
// DEP name whose token expires within 30 days or has expired (as the push certificate is watched).
import type { Logger } from 'pino';
import type { DepStore } from '../storage/types-dep.js';
import { periodic, type Periodic } from '../service/periodic.js';
import { tokenExpiryWarning } from './service.js';

const HOUR_MS = 3_600_000;

/** One pass: the warnings logged (for tests). */
export async function checkDepTokens(store: Pick<DepStore, 'listDepNames'>, logger: Logger, now: Date): Promise<string[]> {
  const warnings: string[] = [];
  for (const d of await store.listDepNames()) {
    const w = tokenExpiryWarning(d.name, d.tokensExpireAt, now);
    if (!w) continue;
    warnings.push(w);
    logger.warn({ dep: d.name, expiresAt: d.tokensExpireAt }, w);
  }
  return warnings;
}

export function startDepTokenWatch(opts: { store: Pick<DepStore, 'listDepNames'>; logger: Logger; everyMs?: number; now?: () => Date }): Periodic<string[]> {
  const now = opts.now ?? (() => new Date());
  const onError = (err: Error) => opts.logger.error({ err }, 'DEP token check failed');
  const watch = periodic(() => checkDepTokens(opts.store, opts.logger, now()), opts.everyMs ?? HOUR_MS, onError);
  watch.runOnce().catch(onError);
  return watch;
}
