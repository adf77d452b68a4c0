// `updraft cmd --help <RequestType>` and `updraft cmd --list`: what Apple's schema says about a command
// (where it runs, each key's type, presence, default, allowed values and OS availability) with Apple's
// descriptions, which live apart in descriptions.generated.ts and are loaded only here.
import type { CommandSpec, CommandText, KeySpec, OsSupport } from '../commands/index.js';
import { microMDMName } from '../commands/index.js';

const WIDTH = 100;

/** `ProductKey` → `product-key`, `MDMOptions` → `mdm-options` (the flag of a top-level key). */
export const flagName = (key: string): string =>
  key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();

/** Separators and case ignored: how flags, Apple names and MicroMDM names are matched. */
export const squash = (s: string): string => s.replace(/[-_]/g, '').toLowerCase();

/** The key a flag names: by Apple's name, its flag form or its MicroMDM JSON name. */
export function keyOfFlag(keys: readonly KeySpec[], flag: string): KeySpec | undefined {
  const f = squash(flag);
  return keys.find((k) => k.key !== 'ANY' && (squash(k.key) === f || squash(microMDMName(k.key)) === f));
}

function wrap(text: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    if (para.trim() === '') {
      if (out.length && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const bullet = /^\s*[*-] /.test(para);
    let line = '';
    for (const word of para.trim().split(/\s+/)) {
      if (line && pad.length + line.length + 1 + word.length > WIDTH) {
        out.push(pad + line);
        line = bullet ? `  ${word}` : word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(pad + line);
  }
  while (out[out.length - 1] === '') out.pop();
  return out;
}

function osLine(os: string, s: OsSupport): string {
  const notes = [
    s.supervised && 'supervised', s.requiresDEP && 'Automated Device Enrollment', s.userApprovedMDM && 'user-approved MDM',
    s.accessRights && `access right ${s.accessRights}`, s.deprecated && `deprecated ${s.deprecated}`, s.removed && `removed ${s.removed}`,
    [s.deviceChannel && 'device', s.userChannel && 'user'].filter(Boolean).join('+') + ' channel',
    s.userEnrollment && `User Enrollment ${s.userEnrollment}`, s.sharedIPad && `Shared iPad ${s.sharedIPad.mode}`,
  ].filter(Boolean);
  return `${os} ${s.introduced}+ (${notes.join('; ')})`;
}

function typeOf(k: KeySpec): string {
  if (k.type === 'array') {
    const items = [...new Set((k.items ?? []).map((i) => (i.type === 'dictionary' ? 'dictionaries' : `${i.type}s`)))];
    return `array of ${items.join(' or ') || 'values'}`;
  }
  return k.type;
}

function facts(k: KeySpec): string {
  const f: string[] = [typeOf(k)];
  if (k.required) f.push('required');
  if (k.values) f.push(`one of: ${k.values.join(', ')}`);
  if (k.range) f.push(`from ${k.range.min ?? '-∞'} to ${k.range.max ?? '∞'}`);
  if (k.default !== undefined) f.push(`default ${JSON.stringify(k.default)}`);
  const os = Object.entries(k.os ?? {});
  const not = os.filter(([, a]) => a === false).map(([o]) => o);
  const spans = os.filter(([, a]) => a !== false).map(([o, a]) => {
    const s = a as { introduced?: string; deprecated?: string; removed?: string };
    return `${o}${s.introduced ? ` ${s.introduced}+` : ''}${s.deprecated ? ` (deprecated ${s.deprecated})` : ''}${s.removed ? ` (removed ${s.removed})` : ''}`;
  });
  if (spans.length) f.push(spans.join(', '));
  if (not.length) f.push(`not on ${not.join(', ')}`);
  return f.join('; ');
}

function keyLines(keys: readonly KeySpec[], texts: Readonly<Record<string, string>>, prefix: string, indent: number, label: (k: KeySpec) => string): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const path = prefix ? `${prefix}.${k.key}` : k.key;
    out.push(`${' '.repeat(indent)}${label(k)}  ${facts(k)}`);
    if (texts[path]) out.push(...wrap(texts[path]!, indent + 4));
    if (k.known?.length) out.push(...wrap(`known values: ${k.known.join(', ')}`, indent + 4));
    if (k.keys?.length) out.push(...keyLines(k.keys, texts, path, indent + 4, (x) => x.key));
    const items = k.items ?? [];
    for (const item of items) {
      const at = items.length > 1 ? `${path}[${item.key}]` : `${path}[]`;
      const fields = item.keys ?? [];
      if (items.length > 1) {
        out.push(`${' '.repeat(indent + 4)}item ${item.key}: ${facts(item)}`);
        if (texts[at]) out.push(...wrap(texts[at]!, indent + 8));
      } else if (item.known?.length) out.push(...wrap(`known values: ${item.known.join(', ')}`, indent + 4));
      if (fields.length) {
        if (items.length === 1) out.push(`${' '.repeat(indent + 4)}each item:`);
        out.push(...keyLines(fields, texts, at, indent + 6, (x) => x.key));
      }
    }
  }
  return out;
}

function example(spec: CommandSpec): string {
  const parts = spec.payload.filter((k) => k.required).map((k) => {
    const flag = `--${flagName(k.key)}`;
    if (k.type === 'boolean') return flag;
    if (k.type === 'data') return `${flag} @FILE`;
    if (k.type === 'array' && k.items?.[0]?.type !== 'dictionary') return `${flag} ${k.items?.[0]?.known?.[0] ?? 'VALUE'} ${flag} …`;
    if (k.type === 'array' || k.type === 'dictionary') return `${flag} 'JSON'`;
    return `${flag} ${k.values ? String(k.values[0]) : k.type === 'string' ? 'TEXT' : 'N'}`;
  });
  return ['updraft cmd', spec.requestType, 'ID…', ...parts, '--wait'].join(' ');
}

/** The whole help text of one command. */
export function commandHelp(spec: CommandSpec, text: CommandText | undefined): string {
  const lines = [`updraft cmd ${spec.requestType} ID… [--key value…] [--json FILE] [--wait] [--json]`, '', `${spec.title}`];
  if (text?.description) lines.push(...wrap(text.description, 2));
  lines.push('', 'Runs on:', ...Object.entries(spec.os).map(([os, s]) => `  ${osLine(os, s!)}`));
  lines.push('', spec.payload.length ? 'Keys (a flag each; nested keys inside the JSON value of their top-level flag):' : 'Keys: none');
  lines.push(...keyLines(spec.payload, text?.payload ?? {}, '', 2, (k) => `--${flagName(k.key)}`));
  if (spec.response) {
    lines.push('', 'Response (typed in result_typed.response, snake_case):');
    lines.push(...keyLines(spec.response, text?.response ?? {}, '', 2, (k) => `${microMDMName(k.key)} (${k.key})`));
  }
  lines.push('', 'Values: booleans stand alone (--force) or take true/false; integers and strings as typed; arrays by',
    'repeating the flag or as one JSON array; dictionaries as JSON; data as @FILE (or base64); --json FILE',
    'reads the whole payload (JSON with Apple\'s or snake_case names, or a plist).', '', 'Example:', `  ${example(spec)}`);
  return lines.join('\n') + '\n';
}

/** One line per command for `updraft cmd --list`. */
export function listRows(specs: readonly CommandSpec[]): string[][] {
  return specs.map((s) => [s.requestType, Object.entries(s.os).map(([os, o]) => `${os} ${o!.introduced}+`).join(', '), s.response ? 'yes' : '']);
}

export const USAGE = `updraft cmd <RequestType> ID… [--key value…] [--json FILE] [--file FILE] [--wait [--timeout S]] [--json]

Sends any command of Apple's MDM schema, checked against it before it is queued.
  updraft cmd --list                      every RequestType, where it runs, whether it answers with data
  updraft cmd --help <RequestType>        Apple's description, each key's type, presence, values, platforms

Options:
  --key value        one per command key (see --help <RequestType>)
  --json FILE        the payload from a file (JSON, Apple's or snake_case names, data as base64; or a plist)
  --file FILE        the command's data key from a file (InstallProfile's Payload, …)
  --wait             wait for every enrollment and print the typed results (--timeout S, default 60)
  --json             print the API's JSON
  --nopush, --expires-in S, --command-uuid UUID, --server URL, --api-key KEY, --data-dir DIR

Examples:
  updraft cmd InstallProfile UDID1 --file wifi.mobileconfig --wait
  updraft cmd RemoveProfile UDID1 --identifier com.example.wifi
  updraft cmd DeviceInformation UDID1 UDID2 --queries OSVersion --queries BuildVersion --wait
  updraft cmd ScheduleOSUpdateScan UDID1 --force
`;
