// Kysely table types. Times are epoch milliseconds (bigint), bytes are BLOB/BYTEA, flags are 0/1
// integers and JSON is stored as text: the same representation on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface EnrollmentsTable {
  id: string;
  type: string;
  device_id: string;
  udid: string | null;
  user_id: string | null;
  user_short_name: string | null;
  user_long_name: string | null;
  topic: string | null;
  push_token: string | null;
  push_magic: string | null;
  unlock_token: Buffer | null;
  push_invalid_at: number | null;
  enabled: number;
  token_update_tally: number;
  awaiting_configuration: number;
  cert_hash: string | null;
  /** 1: moved in by /migration, no identity bound yet; the first verified one is bound (migration 010_migrated). */
  bind_pending: Generated<number>;
  bootstrap_token: Buffer | null;
  serial_number: string | null;
  model: string | null;
  model_name: string | null;
  product_name: string | null;
  device_name: string | null;
  os_version: string | null;
  /** os_version as sortable text (mdm/version.ts versionKey), written with it (migration 016). */
  os_key: string | null;
  build_version: string | null;
  imei: string | null;
  meid: string | null;
  platform: string | null;
  last_seen_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A command is stored once, however many enrollments it is queued for. */
export interface CommandsTable {
  uuid: string;
  request_type: string;
  raw: Buffer;
  created_at: number;
}

/** One row per (enrollment, command): the queue and, once finished, the result. */
export interface QueueTable {
  seq: Generated<number>;
  enrollment_id: string;
  command_uuid: string;
  priority: number;
  status: string;
  not_now_tally: number;
  not_now_at: number | null;
  expires_at: number | null;
  sent_at: number | null;
  result_at: number | null;
  result_raw: Buffer | null;
  result_json: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  enrollment_id: string | null;
  kind: string;
  detail: string | null;
  at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  topic: string;
  body: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_error: string | null;
  done_at: number | null;
}

export interface PushCertsTable {
  topic: string;
  cert_pem: string;
  key_pem: string;
  not_after: number;
  updated_at: number;
}

export interface PushLogTable {
  id: Generated<number>;
  enrollment_id: string;
  outcome: string;
  http_status: number | null;
  apns_id: string | null;
  at: number;
}

export interface ChallengesTable {
  hash: string;
  expires_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** OS update catalogs (migration 004_catalogs): the copy columns are null on a row that holds only an error. */
export interface CatalogsTable {
  kind: string;
  source: string | null;
  raw: Buffer | null;
  raw_size: number | null;
  sha256: string | null;
  parsed: Buffer | null;
  parsed_version: number | null;
  etag: string | null;
  last_modified: string | null;
  fetched_at: number | null;
  checked_at: number | null;
  content_date: number | null;
  document_date: number | null;
  valid_until: number | null;
  entries: number | null;
  last_error: string | null;
  last_error_at: number | null;
  updated_at: number;
}

export interface Database {
  enrollments: EnrollmentsTable;
  commands: CommandsTable;
  queue: QueueTable;
  events: EventsTable;
  outbox: OutboxTable;
  push_certs: PushCertsTable;
  push_log: PushLogTable;
  challenges: ChallengesTable;
  settings: SettingsTable;
  catalogs: CatalogsTable;
}

export type Dialect = 'sqlite' | 'postgres';
