// What a database error means for the request that met it: the database is unreachable or
// restarting (503: try again), out of space (507), or the value was one the database cannot store
// (400). Anything else is not classified here (a 500).
export interface StorageFault {
  status: 400 | 503 | 507;
  reason: string;
}

const CONNECTION = /Connection terminated|connection error|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|the database system is (starting up|shutting down|in recovery mode)/i;

export function storageFault(err: unknown): StorageFault | null {
  if (!err || typeof err !== 'object') return null;
  const code = String((err as { code?: unknown }).code ?? '');
  const message = (err as { message?: unknown }).message;
  const text = typeof message === 'string' ? message : '';
  // SQLite (better-sqlite3 codes).
  if (code === 'SQLITE_FULL') return { status: 507, reason: 'database or disk is full' };
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return { status: 503, reason: `database unavailable (${code})` };
  // PostgreSQL SQLSTATEs: 08 connection, 57P0x shutdown/restart, 53300 too many connections, 53100 disk full, 22 data.
  if (code === '53100') return { status: 507, reason: 'database disk is full' };
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return { status: 503, reason: `database unavailable (${code})` };
  if (/^22[0-9A-Z]{3}$/.test(code)) return { status: 400, reason: `a value the database cannot store: ${text}` };
  // node-postgres and socket errors carry no SQLSTATE.
  if (CONNECTION.test(code) || CONNECTION.test(text)) return { status: 503, reason: 'database unavailable' };
  return null;
}
