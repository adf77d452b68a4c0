// The flags of `updraft serve`, each with its UPDRAFT_* environment variable (a flag wins over its
// variable), as data; and their translation into a Config, with errors that name the flag.
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_BODY_LIMIT, type Config } from '../config.js';
import { CliError } from './client.js';
import { CATALOG_KINDS } from '../osupdate/types.js';

type Kind = 'string' | 'int' | 'bool' | 'onoff' | 'url' | 'list' | 'catalog-urls';

interface ServeOption {
  flag: string;
  env: string;
  key: keyof Config;
  kind: Kind;
  help: string;
  default?: string;
}

export const SERVE_OPTIONS: readonly ServeOption[] = [
  { flag: 'listen', env: 'UPDRAFT_LISTEN', key: 'listen', kind: 'string', help: 'HOST:PORT (or PORT) to listen on', default: '0.0.0.0:9000' },
  { flag: 'data-dir', env: 'UPDRAFT_DATA_DIR', key: 'dataDir', kind: 'string', help: 'directory for the SQLite database, CA, keys and API key', default: './data' },
  { flag: 'db', env: 'UPDRAFT_DB', key: 'db', kind: 'string', help: '"sqlite" (a file in the data dir), a SQLite file path, or a postgres:// URL', default: 'sqlite' },
  { flag: 'api-key', env: 'UPDRAFT_API_KEY', key: 'apiKey', kind: 'string', help: 'API key (default: generated once and kept in <data-dir>/api-key)' },
  { flag: 'public-url', env: 'UPDRAFT_PUBLIC_URL', key: 'publicUrl', kind: 'url', help: 'base URL devices reach, e.g. https://mdm.example.com (default: this host and port)' },
  { flag: 'tls-cert', env: 'UPDRAFT_TLS_CERT', key: 'tlsCert', kind: 'string', help: 'PEM certificate (chain) to serve HTTPS; without it, plain HTTP behind a TLS proxy' },
  { flag: 'tls-key', env: 'UPDRAFT_TLS_KEY', key: 'tlsKey', kind: 'string', help: 'PEM private key of --tls-cert' },
  { flag: 'cert-header', env: 'UPDRAFT_CERT_HEADER', key: 'certHeader', kind: 'string', help: 'header in which a TLS proxy forwards the client certificate (RFC 9440, URL-escaped PEM, PEM or base64 DER)' },
  { flag: 'insecure-skip-identity', env: 'UPDRAFT_INSECURE_SKIP_IDENTITY', key: 'identityOptional', kind: 'bool', help: 'accept MDM requests without a verified device identity (migrations only)' },
  { flag: 'webhook-url', env: 'UPDRAFT_WEBHOOK_URL', key: 'webhookUrl', kind: 'url', help: 'POST MicroMDM/NanoMDM-format webhook events here' },
  { flag: 'webhook-secret', env: 'UPDRAFT_WEBHOOK_SECRET', key: 'webhookSecret', kind: 'string', help: 'HMAC-SHA256 key: webhook requests carry X-Hmac-Signature' },
  { flag: 'push-topic', env: 'UPDRAFT_PUSH_TOPIC', key: 'pushTopic', kind: 'string', help: 'push topic check-ins must carry (default: not checked)' },
  { flag: 'apns-url', env: 'UPDRAFT_APNS_URL', key: 'apnsUrl', kind: 'url', help: 'APNs base URL (default https://api.push.apple.com)' },
  { flag: 'apns-ca', env: 'UPDRAFT_APNS_CA', key: 'apnsCa', kind: 'string', help: 'PEM file of an extra CA to trust for APNs' },
  { flag: 'metrics-public', env: 'UPDRAFT_METRICS_PUBLIC', key: 'metricsPublic', kind: 'bool', help: 'serve /metrics without an API key (default: any API key, read-only will do)' },
  { flag: 'ddm-auto', env: 'UPDRAFT_DDM_AUTO', key: 'ddmAuto', kind: 'onoff', help: 'on: queue DeclarativeManagement for each DDM-capable device at its first TokenUpdate, so it reports its status; off: only when asked (ddm sync, set assignment)', default: 'on' },
  { flag: 'repush-interval', env: 'UPDRAFT_REPUSH_INTERVAL', key: 'repushIntervalSeconds', kind: 'int', help: 'seconds before enrollments with pending commands are pushed again (default 3600)' },
  { flag: 'inventory-interval', env: 'UPDRAFT_INVENTORY_INTERVAL', key: 'inventoryIntervalSeconds', kind: 'int', help: 'seconds after which a device\'s inventory is refreshed with DeviceInformation, spread over the fleet (default 86400); 0: never ask devices by itself, not even at enrollment' },
  { flag: 'revocation-refresh', env: 'UPDRAFT_REVOCATION_REFRESH', key: 'revocationRefreshSeconds', kind: 'int', help: 'seconds between re-reads of the revoked certificates by each server process (default 5)' },
  { flag: 'scep-challenge', env: 'UPDRAFT_SCEP_CHALLENGE', key: 'scepChallenge', kind: 'string', help: 'static SCEP challenge (default: generated once in the data dir)' },
  { flag: 'ca', env: 'UPDRAFT_CA', key: 'caFiles', kind: 'list', help: 'comma-separated PEM files of extra CAs whose device identities are trusted' },
  { flag: 'cert-validity-days', env: 'UPDRAFT_CERT_VALIDITY_DAYS', key: 'certValidityDays', kind: 'int', help: 'lifetime of certificates issued over SCEP (default 365)' },
  { flag: 'ca-cert', env: 'UPDRAFT_CA_CERT', key: 'caCertFile', kind: 'string', help: 'PEM certificate of an existing CA to issue with' },
  { flag: 'ca-key', env: 'UPDRAFT_CA_KEY', key: 'caKeyFile', kind: 'string', help: 'PEM private key of --ca-cert' },
  { flag: 'profile-sign-cert', env: 'UPDRAFT_PROFILE_SIGN_CERT', key: 'profileSignCertFile', kind: 'string', help: 'PEM certificate (and chain) that signs enrollment profiles' },
  { flag: 'profile-sign-key', env: 'UPDRAFT_PROFILE_SIGN_KEY', key: 'profileSignKeyFile', kind: 'string', help: 'PEM private key of --profile-sign-cert' },
  { flag: 'catalog-url', env: 'UPDRAFT_CATALOG_URL', key: 'catalogUrls', kind: 'catalog-urls', help: `comma-separated KIND=URL (KIND: ${CATALOG_KINDS.join(', ')}): catalogs to refresh from these URLs` },
  { flag: 'catalog-refresh', env: 'UPDRAFT_CATALOG_REFRESH', key: 'catalogRefreshSeconds', kind: 'int', help: 'seconds between catalog refreshes from --catalog-url (default 21600, 6 hours)' },
  { flag: 'campaign-poll-seconds', env: 'UPDRAFT_CAMPAIGN_POLL_SECONDS', key: 'campaignPollSeconds', kind: 'int', help: 'seconds between an OS update campaign\'s status polls and stall checks (default 300)' },
  { flag: 'catalog-max-age', env: 'UPDRAFT_CATALOG_MAX_AGE', key: 'catalogMaxAgeDays', kind: 'int', help: 'days after which a catalog not confirmed current is stale (default 7)' },
  { flag: 'ade-device-ca', env: 'UPDRAFT_ADE_DEVICE_CA', key: 'adeDeviceCaFiles', kind: 'list', help: 'comma-separated PEM files of the device CA that signs ADE MachineInfo (Apple\'s device CA; without it POST /mdm/ade/enroll refuses every device)' },
  { flag: 'dep-sync-interval', env: 'UPDRAFT_DEP_SYNC_INTERVAL', key: 'depSyncSeconds', kind: 'int', help: 'seconds between syncs of each DEP name\'s devices from Apple Business Manager, new ones given their ADE profile (default 1800; 0: only POST /v1/dep/{name}/sync)' },
  { flag: 'retention-days', env: 'UPDRAFT_RETENTION_DAYS', key: 'retentionDays', kind: 'int', help: 'days to keep history: finished commands and results, events, push log, DDM status history (0 keeps forever)', default: '90' },
  { flag: 'body-limit', env: 'UPDRAFT_BODY_LIMIT', key: 'bodyLimit', kind: 'int', help: 'largest request body, bytes', default: String(DEFAULT_BODY_LIMIT) },
  { flag: 'log-level', env: 'UPDRAFT_LOG_LEVEL', key: 'logLevel', kind: 'string', help: 'fatal, error, warn, info, debug or trace', default: 'info' },
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds every serve flag, with its environment variable and default, to the command. */
export function addServeOptions(cmd: Command): Command {
  for (const o of SERVE_OPTIONS) {
    const value = o.kind === 'int' ? ' <n>' : o.kind === 'onoff' ? ' <on|off>' : ' <value>';
    const opt = new Option(`--${o.flag}${o.kind === 'bool' ? '' : value}`, o.help).env(o.env);
    cmd.addOption(o.default === undefined ? opt : opt.default(o.default));
  }
  return cmd;
}

function convert(o: ServeOption, raw: string | boolean): unknown {
  const name = `--${o.flag} (${o.env})`;
  if (o.kind === 'bool') return raw === true || /^(1|true|yes|on)$/i.test(String(raw));
  const value = String(raw).trim();
  switch (o.kind) {
    case 'onoff':
      if (/^(on|true|yes|1)$/i.test(value)) return true;
      if (/^(off|false|no|0)$/i.test(value)) return false;
      throw new CliError(`${name} must be on or off, got ${JSON.stringify(value)}`);
    case 'int':
      if (!/^\d+$/.test(value)) throw new CliError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
      return Number(value);
    case 'url': {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        throw new CliError(`${name} must be a URL such as https://mdm.example.com, got ${JSON.stringify(value)}`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
      return value.replace(/\/+$/, '');
    }
    case 'list':
      return value.split(',').map((s) => s.trim()).filter(Boolean);
    case 'catalog-urls':
      return catalogUrls(name, value);
    default:
      return value;
  }
}

/** "gdmf=https://…,sofa-macos=https://…" → {kind: URL}, each kind known and each URL http(s). */
function catalogUrls(name: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const kind = eq > 0 ? pair.slice(0, eq).trim() : '';
    const url = pair.slice(eq + 1).trim();
    if (!(CATALOG_KINDS as readonly string[]).includes(kind))
      throw new CliError(`${name} takes KIND=URL with KIND one of ${CATALOG_KINDS.join(', ')}, got ${JSON.stringify(pair)}`);
    let u: URL | null = null;
    try {
      u = new URL(url);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new CliError(`${name}: ${kind} needs an http(s) URL, got ${JSON.stringify(url)}`);
    out[kind] = url;
  }
  return out;
}

/** Parsed commander options (flag or env already applied) → Config. */
export function configFrom(opts: Record<string, string | boolean | undefined>): Config {
  const values: Record<string, unknown> = {};
  for (const o of SERVE_OPTIONS) {
    const raw = opts[camel(o.flag)];
    if (raw !== undefined && raw !== '') values[o.key] = convert(o, raw);
  }
  const listen = String(values.listen);
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new CliError(`--listen (UPDRAFT_LISTEN) must be HOST:PORT or PORT, got ${JSON.stringify(listen)}`);
  if (Boolean(values.tlsCert) !== Boolean(values.tlsKey)) throw new CliError('--tls-cert and --tls-key go together');
  if (!LOG_LEVELS.includes(String(values.logLevel))) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const host = !m[1] || m[1] === '0.0.0.0' || m[1] === '::' ? hostname() : m[1];
  const publicUrl = (values.publicUrl as string | undefined) ?? `${values.tlsCert ? 'https' : 'http'}://${host}:${m[2]}`;
  return {
    apiKey: '',
    webhookUrl: null,
    webhookSecret: null,
    tlsCert: null,
    tlsKey: null,
    pushTopic: null,
    certHeader: null,
    identityOptional: false,
    ...values,
    publicUrl,
  } as Config;
}
