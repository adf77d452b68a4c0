// The fleet's state file: one JSON document, written a device a line so that neither saving nor
// loading ever holds the whole file (~4 KB a device: 40 MB for 10,000) as one string. A string that
// size, and the garbage of parsing it at once, leave the heap tens of MB larger for the process's life.
import { closeSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import type { DeviceState } from './device.js';

export interface SavedHead { version: 1; scenario: string; simNow: number; keys: { rsa: Array<string | null>; ec: Array<string | null> } }

const OPEN = '"devices":[';

/** Writes head and devices atomically (a temporary file renamed over the old one). */
export function writeState(path: string, head: SavedHead, devices: readonly DeviceState[]): void {
  const fd = openSync(path + '.tmp', 'w');
  try {
    let chunk = `${JSON.stringify(head).slice(0, -1)},${OPEN}`;
    devices.forEach((d, i) => {
      chunk += `${i ? ',' : ''}\n${JSON.stringify(d)}`;
      if (chunk.length > 262_144) { writeSync(fd, chunk); chunk = ''; }
    });
    writeSync(fd, `${chunk}\n]}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(path + '.tmp', path);
}

/** Lines of a file, read 1 MB at a time into one reused buffer (only the piece of a line split
 * across two reads is copied, as bytes, so a character split between reads stays whole). */
function* lines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let rest: Buffer | null = null;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      let start = 0;
      for (let nl; (nl = buf.indexOf(10, start)) >= 0 && nl < n; start = nl + 1) {
        yield rest ? Buffer.concat([rest, buf.subarray(start, nl)]).toString('utf8') : buf.toString('utf8', start, nl);
        rest = null;
      }
      rest = rest ? Buffer.concat([rest, buf.subarray(start, n)]) : Buffer.from(buf.subarray(start, n));
    }
    if (rest?.length) yield rest.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads a state file: each device is handed to `each` as it is parsed. Files written in one line
 * (older versions) are parsed whole. */
export function readState(path: string, each: (d: DeviceState) => void): SavedHead {
  let head: SavedHead | null = null;
  let whole = '';
  for (const line of lines(path)) {
    if (!head && !whole) {
      if (line.endsWith(OPEN)) { head = JSON.parse(`${line}]}`) as SavedHead; continue; }
      whole = line;
      continue;
    }
    if (whole) { whole += `\n${line}`; continue; }
    if (line === ']}' || line === '') continue;
    each(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as DeviceState);
  }
  if (!head) {
    const saved = JSON.parse(whole || 'null') as (SavedHead & { devices?: DeviceState[] }) | null;
    if (!saved || !Array.isArray(saved.devices)) throw new Error(`${path}: not a simulator state file`);
    saved.devices.forEach(each);
    head = saved;
  }
  if (head.version !== 1) throw new Error(`${path}: not a simulator state file`);
  return head;
}
