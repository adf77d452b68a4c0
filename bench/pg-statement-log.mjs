// Loaded into the server by bench/statements.ts (node --import): appends every statement the pg
// driver sends (time, prepared name, text) to $UPDRAFT_STATEMENT_LOG.
import { appendFileSync } from 'node:fs';
import pg from 'pg';

const file = process.env.UPDRAFT_STATEMENT_LOG;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, cb) {
  const text = typeof config === 'string' ? config : `${config?.name ? `[${config.name}] ` : ''}${config?.text ?? ''}`;
  appendFileSync(file, `${Date.now()}\t${text.replace(/\s+/g, ' ').slice(0, 160)}\n`);
  return query.call(this, config, values, cb);
};
