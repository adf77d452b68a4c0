// SQLite bulk upsert of postures on one cached prepared statement, a batch per BEGIN IMMEDIATE …
// COMMIT: about twice as fast as one statement reading a JSON array of rows (each column of each row
// parsed out of the JSON again), which stays the path while a Kysely transaction holds the connection.
import type Database from 'better-sqlite3';
import type { PostureStore } from '../types-posture.js';
import { POSTURE_COLUMNS, POSTURE_UPDATE, postureRow } from '../posture.js';

type Bulk = Pick<PostureStore, 'upsertPostures'>;

export function sqlitePostureBulk(raw: Database.Database, fallback: Bulk): Bulk {
  const upsert = raw.prepare(
    `INSERT INTO device_posture (${POSTURE_COLUMNS.join(', ')}) VALUES (${POSTURE_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (device_id) DO UPDATE SET ${POSTURE_UPDATE}`,
  );
  const all = raw.transaction((rows: unknown[][]) => {
    for (const r of rows) upsert.run(r);
  });
  return {
    async upsertPostures(records) {
      if (raw.inTransaction) return fallback.upsertPostures(records);
      const rows = records.map((r) => {
        const row = postureRow(r);
        return POSTURE_COLUMNS.map((c) => row[c]);
      });
      // At most a few thousand rows per commit, so other requests get the connection in between.
      for (let i = 0; i < rows.length; i += 2000) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        all.immediate(rows.slice(i, i + 2000));
      }
    },
  };
}
