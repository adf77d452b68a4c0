// Loaded into the server by bench/statements.ts --sqlite (node --import): appends a line per SQLite
// commit (time, kind, the statement) to $UPDRAFT_STATEMENT_LOG. A commit is a COMMIT ending a
// transaction that wrote ('commit'), or a write run outside any transaction (SQLite's implicit
// transaction, 'auto'); a transaction that only read is not counted. Every commit appends the pages it
// dirtied to the WAL, so this counts what a step costs SQLite in writes, not in time.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const Database = createRequire(new URL('../package.json', import.meta.url))('better-sqlite3');
const file = process.env.UPDRAFT_STATEMENT_LOG;
const probe = new Database(':memory:');
const statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
probe.close();
const CONTROL = /^\s*(BEGIN|COMMIT|END|RELEASE|SAVEPOINT|ROLLBACK|PRAGMA|SELECT)/i;
const ENDS = /^\s*(COMMIT|END|RELEASE)/i;
const wrote = new WeakMap(); // connection → whether its open transaction has written
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = statement[method];
  statement[method] = function (...args) {
    const db = this.database;
    const before = db.inTransaction;
    const out = original.apply(this, args);
    const text = this.source.replace(/\s+/g, ' ').slice(0, 120);
    const writes = !this.reader && !CONTROL.test(this.source);
    if (!before && db.inTransaction) wrote.set(db, false);
    else if (before && !db.inTransaction && ENDS.test(this.source)) {
      if (wrote.get(db)) appendFileSync(file, `${Date.now()}\tcommit\n`);
    } else if (writes && db.inTransaction) wrote.set(db, true);
    else if (writes) appendFileSync(file, `${Date.now()}\tauto: ${text}\n`);
    return out;
  };
}
