// WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever commit
// crosses the threshold: it copies ~1000 pages into the database file and fsyncs it, on the event
// loop, stalling every request behind it (tens of milliseconds on a busy disk). Instead the server's
// connection checkpoints automatically only far past the usual threshold (a safety net), and a
// worker thread with its own connection runs a PASSIVE checkpoint (never blocks writers or readers)
// a few times a second.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/** Pages the server connection lets the WAL reach before checkpointing itself (~80 MB of 4 KB pages). */
export const SAFETY_NET_PAGES = 20_000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: next tick */ } };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(raw: Database.Database, file: string, everyMs = 250): Checkpointer {
  raw.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs } });
  worker.unref();
  // A failed checkpointer only leaves checkpoints to the safety net; it must never take the server down.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.ref(); // an unref'd worker's exit does not keep the loop alive: close() would never resolve
      worker.postMessage('stop');
      await exited;
    },
  };
}
