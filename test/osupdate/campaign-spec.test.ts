// Campaign requests: what POST /v1/campaigns accepts, and the refusals that name their field;
// maintenance windows and deadlines in a named zone or on the device's own clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CampaignInputError, parseCampaignRequest } from '../../src/osupdate/campaign/spec.js';
import { deadlineInstant, nextOpening, parseWindow, targetLocalDateTime, windowOpen } from '../../src/osupdate/campaign/window.js';

const NOW = new Date('2026-12-06T09:00:00Z');
const base = { name: 'macOS 26.2', select: { platform: 'macOS' }, target: { policy: 'latest-minor' } };

function refused(body: Record<string, unknown>, field: string, reason: RegExp): void {
  assert.throws(() => parseCampaignRequest(body, NOW), (e: unknown) => {
    assert.ok(e instanceof CampaignInputError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, reason);
    return true;
  });
}

test('the issue\'s campaign parses: waves, window, deadline', () => {
  const { spec, dryRun } = parseCampaignRequest({ ...base, waves: ['5%', '25%', '100%'], window: 'Mon-Fri 19:00-23:00', deadline: '2026-12-15T18:00', dry_run: true }, NOW);
  assert.equal(dryRun, true);
  assert.deepEqual(spec.waves, [{ percent: 5 }, { percent: 25 }, { percent: 100 }]);
  assert.deepEqual(spec.window, { days: [1, 2, 3, 4, 5], start: 19 * 60, end: 23 * 60, timeZone: 'device', text: 'Mon-Fri 19:00-23:00' }, 'a window without a zone is read on each device\'s clock');
  assert.equal(spec.deadline, '2026-12-15T18:00');
  assert.deepEqual(spec.select, { platform: ['macOS'] });
  assert.deepEqual(parseCampaignRequest({ ...base, waves: [10, 50] }, NOW).spec.waves, [{ percent: 10 }, { percent: 50 }, { percent: 100 }], 'a last wave takes the rest');
});

test('bad input is refused with the field named', () => {
  refused({ ...base, deadline: '2026-12-01T10:00Z' }, 'deadline', /in the past/);
  refused({ ...base, deadline: 'next tuesday' }, 'deadline', /ISO 8601/);
  refused({ ...base, select: {} }, 'select', /selects nothing/);
  refused({ ...base, select: { platform: 'macOS', color: 'red' } }, 'select.color', /unknown key/);
  refused({ ...base, colour: 1 }, 'colour', /unknown key/);
  refused({ ...base, target: {} }, 'target', /no version and no policy/);
  refused({ ...base, target: { policy: 'newest' } }, 'target.policy', /latest, latest-minor/);
  refused({ ...base, target: { policy: 'minimum' } }, 'target.version', /needs a version/);
  refused({ ...base, target: { version: 'banana' } }, 'target.version', /not a version/);
  refused({ ...base, waves: ['50%', '20%'] }, 'waves[1]', /cumulative/);
  refused({ ...base, window: 'Mon-Fri 19:00' }, 'window', /HH:MM-HH:MM/);
  refused({ ...base, window: 'Funday 19:00-20:00' }, 'window', /unknown day/);
  refused({ ...base, time_zone: 'Mars/Olympus' }, 'time_zone', /unknown time zone/);
  refused({ ...base, max_in_flight: 0 }, 'max_in_flight', /integer from 1/);
  refused({ ...base, select: { platform: 'BeOS' } }, 'select.platform[0]', /unknown platform/);
});

test('a window in a named zone opens and closes on that zone\'s wall clock, across midnight too', () => {
  const w = parseWindow('Mon-Fri 19:00-23:00 Europe/Paris');
  assert.equal(windowOpen(w, new Date('2026-12-07T18:30:00Z')), true, 'Monday 19:30 in Paris');
  assert.equal(windowOpen(w, new Date('2026-12-07T17:30:00Z')), false, 'Monday 18:30 in Paris');
  assert.equal(windowOpen(w, new Date('2026-12-06T18:30:00Z')), false, 'Sunday');
  assert.equal(nextOpening(w, new Date('2026-12-06T09:00:00Z'))!.toISOString(), '2026-12-07T18:00:00.000Z');
  const night = parseWindow('Fri 22:00-04:00');
  assert.equal(windowOpen(night, new Date('2026-12-12T02:00:00Z')), true, 'Saturday 02:00 belongs to Friday night');
  assert.equal(windowOpen(night, new Date('2026-12-13T02:00:00Z')), false, 'Sunday 02:00 does not');
  const device = parseWindow('daily 01:00-03:00 device');
  assert.equal(windowOpen(device, new Date('2026-12-07T06:30:00Z'), -5 * 60), true, '01:30 for a device five hours behind UTC');
  assert.equal(windowOpen(device, new Date('2026-12-07T06:30:00Z'), 0), false);
});

test('deadlines: wall time in the campaign\'s zone, TargetLocalDateTime on the device\'s clock', () => {
  assert.equal(deadlineInstant('2026-12-15T18:00', 'Europe/Paris').toISOString(), '2026-12-15T17:00:00.000Z');
  assert.equal(deadlineInstant('2026-07-15T18:00', 'Europe/Paris').toISOString(), '2026-07-15T16:00:00.000Z', 'summer time');
  assert.equal(deadlineInstant('2026-12-15T18:00Z', 'Europe/Paris').toISOString(), '2026-12-15T18:00:00.000Z');
  assert.equal(targetLocalDateTime('2026-12-15T18:00', 'UTC'), '2026-12-15T18:00:00');
  assert.equal(targetLocalDateTime('2026-12-15T18:00:00Z', 'America/New_York'), '2026-12-15T13:00:00');
});
