// How `updraft campaign` shows the API's campaign JSON to people: the dry-run plan table, a
// campaign's summary and waves, its device table, and the progress bars of --watch.
import { shortTime, table } from './output.js';

export interface CampaignJson {
  id: string;
  name: string;
  state: string;
  counts: Record<string, number>;
  devices: number;
  progress: number;
  wave: number;
  waves: Array<{ wave: number; released: boolean; counts: Record<string, number> }>;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  spec: {
    target: { version?: string; build?: string; policy?: string };
    deadline: string | null;
    time_zone: string;
    window: string | null;
    max_in_flight: number | null;
    retries: number;
    install_action: string;
    install_within_hours?: number;
    promotion: { success_rate: number; soak_seconds: number };
  };
}

export interface DeviceJson {
  enrollment_id: string;
  state: string;
  reason: string | null;
  path: string | null;
  os_version: string | null;
  build_version: string | null;
  target_version: string | null;
  target_build: string | null;
  wave: number;
  updated_at: string | null;
}

export interface PlanJson extends DeviceJson {
  platform: string | null;
  model: string | null;
  device_decides: boolean;
  major_upgrade: boolean;
}

/** The engine's states in the order a device goes through them (states not listed follow, by name). */
const ORDER = ['pending', 'scanning', 'listing', 'prerequisite', 'scheduling', 'downloading', 'installing', 'verifying', 'enforcing', 'blocked', 'failed', 'not_eligible', 'cancelled', 'done'];
export const ENDED = new Set(['done', 'cancelled']);

function ordered(counts: Record<string, number>): Array<[string, number]> {
  const rank = (s: string) => (ORDER.includes(s) ? ORDER.indexOf(s) : ORDER.length);
  return Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** "pending 3, done 1" (or "none"). */
export function countsText(counts: Record<string, number>): string {
  const parts = ordered(counts).map(([s, n]) => `${s} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

const version = (v: string | null, b: string | null): string | null => (v ? (b && b !== v ? `${v} (${b})` : v) : b);

function planTarget(p: PlanJson): string | null {
  const t = version(p.target_version, p.target_build);
  if (p.device_decides) return t ? `${t}, as the device lists it` : "the device's newest";
  return t && p.major_upgrade ? `${t} (major)` : t;
}

/** The dry run: one row per selected device, then the counts. */
export function planText(body: { name: string; counts: Record<string, number>; unknown_ids: string[]; devices: PlanJson[] }): string {
  const lines = [`dry run of "${body.name}": ${body.devices.length} device${body.devices.length === 1 ? '' : 's'} selected; nothing was created`, ''];
  lines.push(table(
    ['ENROLLMENT', 'MODEL', 'OS', 'PATH', 'TARGET', 'WAVE', 'STATE', 'REASON'],
    body.devices.map((d) => [d.enrollment_id, d.model, version(d.os_version, d.build_version), d.path, planTarget(d), d.wave, d.state, d.reason]),
  ));
  lines.push('', `counts: ${countsText(body.counts)}`);
  if (body.unknown_ids.length) lines.push(`unknown ids (not enrolled): ${body.unknown_ids.join(', ')}`);
  return lines.join('\n');
}

export function targetText(t: CampaignJson['spec']['target']): string {
  if (t.policy === 'minimum') return `at least ${t.version}`;
  if (t.policy) return t.policy;
  return version(t.version ?? null, t.build ?? null) ?? '-';
}

const pct = (p: number) => `${Number.isInteger(p) ? p : p.toFixed(1)}%`;

function waveText(c: CampaignJson): string {
  return c.state === 'done' || c.state === 'cancelled' ? `${c.waves.length} wave${c.waves.length === 1 ? '' : 's'}` : `wave ${c.wave} of ${c.waves.length}`;
}

/** One line: "abc123 "name": running, wave 1 of 3, 25% done (1 of 4)". */
export function headline(c: CampaignJson): string {
  return `campaign ${c.id} "${c.name}": ${c.state}, ${waveText(c)}, ${pct(c.progress)} done (${c.counts.done ?? 0} of ${c.devices})`;
}

/** show: the summary, the settings that shape the rollout, and the waves. */
export function campaignText(c: CampaignJson): string {
  const s = c.spec;
  const rows: Array<[string, string]> = [
    ['state', `${c.state}, ${waveText(c)}`],
    ['progress', `${pct(c.progress)} done (${c.counts.done ?? 0} of ${c.devices} device${c.devices === 1 ? '' : 's'})`],
    ['counts', countsText(c.counts)],
    ['target', targetText(s.target)],
    ['deadline', s.deadline ? `${s.deadline} (${s.time_zone})` : 'none'],
    ['window', s.window ?? 'any time'],
    ['in flight', s.max_in_flight === null ? 'no limit' : `at most ${s.max_in_flight}`],
    ['retries', String(s.retries)],
    ['action', s.install_action],
    ['ddm within', s.install_within_hours === undefined ? '-' : `${s.install_within_hours} h of a wave's start`],
    ['promotion', `${Math.round(s.promotion.success_rate * 100)}% of a wave done${s.promotion.soak_seconds ? `, after ${s.promotion.soak_seconds} s` : ''}`],
    ['created', shortTime(c.created_at) ?? '-'],
  ];
  if (c.ended_at) rows.push(['ended', shortTime(c.ended_at)!]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`campaign ${c.id} "${c.name}"`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ''];
  lines.push(table(
    ['WAVE', 'RELEASED', 'DEVICES', 'COUNTS'],
    c.waves.map((w) => [w.wave, w.released ? 'yes' : 'no', Object.values(w.counts).reduce((a, b) => a + b, 0), countsText(w.counts)]),
  ));
  return lines.join('\n');
}

export function devicesText(devices: DeviceJson[]): string {
  if (devices.length === 0) return 'no devices';
  return table(
    ['ENROLLMENT', 'PATH', 'OS', 'TARGET', 'WAVE', 'STATE', 'REASON', 'UPDATED'],
    devices.map((d) => [d.enrollment_id, d.path, version(d.os_version, d.build_version), version(d.target_version, d.target_build), d.wave, d.state, d.reason, shortTime(d.updated_at)]),
  );
}

const BAR = 30;

/** --watch on a terminal: the headline and a bar per state. */
export function barsText(c: CampaignJson): string {
  const states = ordered(c.counts);
  const width = Math.max(8, ...states.map(([s]) => s.length));
  const total = Math.max(1, c.devices);
  const bars = states.map(([s, n]) => {
    const filled = Math.round((n / total) * BAR);
    return `  ${s.padEnd(width)}  ${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}  ${n}`;
  });
  return [headline(c), ...(bars.length ? bars : ['  no devices'])].join('\n');
}

/** --watch elsewhere (a log, a pipe): one line per refresh. */
export function watchLine(c: CampaignJson, at: Date): string {
  return `${shortTime(at.toISOString())} ${c.state} ${waveText(c)} ${pct(c.progress)} done: ${countsText(c.counts)}`;
}
