// Maintenance windows: "Mon-Fri 19:00-23:00", "Sat,Sun 00:00-06:00 Europe/Paris", "daily 22:00-04:00 device".
// Wall time in a zone comes from Intl (no zone library): the zone's offset at an instant.

import type { Window } from './types.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export class WindowError extends Error {
  override readonly name = 'WindowError';
}

function dayIndex(name: string): number {
  const i = DAYS.indexOf(name.slice(0, 3).toLowerCase());
  if (i < 0 || name.length < 3) throw new WindowError(`unknown day ${JSON.stringify(name)} (use Mon, Tue, … Sun)`);
  return i;
}

function parseDays(text: string): number[] {
  const t = text.toLowerCase();
  if (t === 'daily' || t === 'every' || t === '*') return [0, 1, 2, 3, 4, 5, 6];
  if (t === 'weekdays') return [1, 2, 3, 4, 5];
  if (t === 'weekends') return [0, 6];
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    if (b === undefined) { out.add(dayIndex(a!)); continue; }
    const from = dayIndex(a!);
    const to = dayIndex(b);
    for (let d = from; ; d = (d + 1) % 7) { out.add(d); if (d === to) break; }
  }
  return [...out].sort();
}

function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || (Number(m[1]) === 24 && m[2] !== '00')) {
    throw new WindowError(`${JSON.stringify(text)} is not a time of day (HH:MM)`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

export function checkTimeZone(zone: string): string {
  if (zone === 'device') return zone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new WindowError(`unknown time zone ${JSON.stringify(zone)} (an IANA name such as Europe/Paris, UTC, or "device")`);
  }
  return zone;
}

/** "DAYS HH:MM-HH:MM [ZONE]"; the zone defaults to `defaultZone`. */
export function parseWindow(text: string, defaultZone = 'UTC'): Window {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) throw new WindowError('a window is "DAYS HH:MM-HH:MM [ZONE]", e.g. "Mon-Fri 19:00-23:00 Europe/Paris"');
  const [days, range, zone] = parts as [string, string, string | undefined];
  const [s, e] = range.split('-');
  if (e === undefined) throw new WindowError(`${JSON.stringify(range)} is not a range of times (HH:MM-HH:MM)`);
  const start = parseClock(s!);
  const end = parseClock(e);
  if (start === end) throw new WindowError('a window must not start and end at the same time');
  return { days: parseDays(days), start, end, timeZone: checkTimeZone(zone ?? defaultZone), text: text.trim() };
}

// Making an Intl.DateTimeFormat costs far more than using one: one per zone, kept (zones are few).
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    if (formatters.size < 1000) formatters.set(zone, f);
  }
  return f;
}

/** Local weekday and minute of the day of an instant in a zone (or at a fixed offset in minutes). */
export function localClock(at: Date, zone: string | number): { day: number; minute: number; date: string } {
  let shifted: Date;
  if (typeof zone === 'number') shifted = new Date(at.getTime() + zone * 60_000);
  else {
    const f = formatter(zone);
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    shifted = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)));
  }
  return { day: shifted.getUTCDay(), minute: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(), date: shifted.toISOString().slice(0, 19) };
}

/** Whether the window is open at `at` for a device in `zone` (the window's own zone unless it says "device"). */
export function windowOpen(w: Window, at: Date, deviceZone: string | number = 'UTC'): boolean {
  const { day, minute } = localClock(at, w.timeZone === 'device' ? deviceZone : w.timeZone);
  if (w.start < w.end) return w.days.includes(day) && minute >= w.start && minute < w.end;
  // Spans midnight: the evening part belongs to its day, the morning part to the day before.
  if (minute >= w.start) return w.days.includes(day);
  return minute < w.end && w.days.includes((day + 6) % 7);
}

/**
 * The zone a window is read in for one device: the window's own, or for a "device" window the
 * device's zone from inventory; when the device never reported one (macOS has no TimeZone query),
 * `fallback` (the campaign's zone, else UTC) with a note saying so.
 */
export function windowZone(w: Window, device: { timeZone?: string | null; platform?: string | null }, fallback: string): { zone: string; note: string | null } {
  if (w.timeZone !== 'device') return { zone: w.timeZone, note: null };
  if (device.timeZone) return { zone: device.timeZone, note: null };
  const why = device.platform === 'macOS' ? 'macOS does not report its time zone' : 'the device has not reported its time zone';
  return { zone: fallback, note: `${why}: window read in ${fallback}` };
}

/** The zone a "device" window or deadline falls back to for a device that never reported one. */
export const fallbackZone = (spec: { timeZone: string }): string => (spec.timeZone === 'device' ? 'UTC' : spec.timeZone);

/** "2026-12-07 19:00" in `zone`, with the UTC time when the zone is not UTC. */
export function describeInstant(at: Date, zone: string): string {
  const utc = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (zone === 'UTC') return utc;
  return `${localClock(at, zone).date.slice(0, 16).replace('T', ' ')} ${zone} (${utc.slice(11)})`;
}

/** The next instant the window opens (minute resolution, within 8 days), or null. */
export function nextOpening(w: Window, at: Date, deviceZone: string | number = 'UTC'): Date | null {
  const step = 60_000;
  let t = Math.ceil(at.getTime() / step) * step;
  for (let i = 0; i < 8 * 24 * 60; i += 1, t += step) {
    if (windowOpen(w, new Date(t), deviceZone)) return new Date(t);
  }
  return null;
}

/** Minutes east of UTC from a "+HH:MM"/"-HH:MM"/"Z" suffix, or null when the text has none. */
export function offsetOf(iso: string): number | null {
  if (/Z$/i.test(iso)) return 0;
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!m || !/T/.test(iso)) return null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** The instant a deadline names: with an offset as given; without one, as wall time in `zone`. */
export function deadlineInstant(iso: string, zone: string | number): Date {
  if (offsetOf(iso) !== null) return new Date(iso);
  const wall = Date.parse(`${iso.length === 16 ? `${iso}:00` : iso}Z`);
  if (Number.isNaN(wall)) return new Date(NaN);
  // Find the offset in effect: local(wall - offset) must read `wall`. Two passes settle DST edges.
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const local = Date.parse(`${localClock(new Date(guess), zone).date}Z`);
    guess += wall - local;
  }
  return new Date(guess);
}

/** DDM's TargetLocalDateTime: the deadline as device-local wall time "yyyy-mm-ddThh:mm:ss". */
export function targetLocalDateTime(iso: string, zone: string | number): string {
  if (offsetOf(iso) === null) return (iso.length === 16 ? `${iso}:00` : iso).slice(0, 19);
  return localClock(new Date(iso), zone).date;
}
