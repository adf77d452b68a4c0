// A bench's own PostgreSQL database: created fresh on the server of `serverUrl` (a leftover of an
// interrupted run dropped first) and dropped again by `drop()`, whatever connections are still open.
import pg from 'pg';

export interface BenchDatabase { name: string; url: string; drop(): Promise<void> }

async function admin(serverUrl: string, statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

export async function benchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return { name, url: u.toString(), drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined) };
}
