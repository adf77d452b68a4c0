// WAL checkpoints outside the commits. SQLite's automatic checkpoint runs inside whichever commit
// crosses the threshold (1,000 pages): it copies them into the database file and fsyncs it, ~25 ms
// on this disk, in the middle of a request. Instead the server's connection checkpoints
// automatically only far past the usual threshold (a safety net), and a second connection runs a
// PASSIVE checkpoint (never blocks writers or readers) every 250 ms from a timer, between requests:
// each then copies only what a quarter of a second wrote: ~0.5 ms with its fsyncs on a quiet disk,
// 4–7 ms (at most 20–30) under the client bench on a busy one, ~7 µs when there is nothing to copy. A worker thread did this before: its own V8 isolate cost ~10–17 MB of
// resident memory (docs/performance.md), and starting it reset V8 flags `serve` sets at run time.
import Database from 'better-sqlite3';

/** Pages the server connection lets the WAL reach before checkpointing itself (~80 MB of 4 KB pages). */
export const SAFETY_NET_PAGES = 20_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(raw: Database.Database, file: string, everyMs = 250): Checkpointer {
  raw.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const db = new Database(file);
  db.pragma('busy_timeout = 0'); // a busy database is checkpointed next time: the timer never waits
  const checkpoint = () => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      /* busy: next tick */
    }
  };
  const timer = setInterval(checkpoint, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      checkpoint();
      db.close();
    },
  };
}
