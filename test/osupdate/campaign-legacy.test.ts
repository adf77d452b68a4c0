// The legacy path's rules, step by step (the quirks of the seed post and Apple's docs): 12008 falls
// back to another InstallAction, a download without progress is reported with the AC-power hint, a
// downloaded update idling gets ScheduleOSUpdate again (iOS's two-step Default), the deadline escalates
// to InstallForceRestart, NotNow leaves the step waiting, and error 74 blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legacyStep, type LegacyMemory, type StepContext } from '../../src/osupdate/campaign/legacy.js';
import { parseCampaignRequest } from '../../src/osupdate/campaign/spec.js';

const NOW = Date.parse('2026-12-06T09:00:00Z');
const spec = parseCampaignRequest({ name: 't', select: { all: true }, target: { version: '26.6.2' }, retries: 2 }, new Date(NOW)).spec;
const ctx = (over: Partial<StepContext> = {}): StepContext => ({
  spec, macos: true, osVersion: '26.5', target: { version: '26.6.2', build: '25G83' }, now: NOW, pollMs: 60_000, deadline: null, forceRestartOk: true, ...over,
});
const ack = (requestType: string, body: Record<string, unknown>) => ({ kind: 'result' as const, requestType, status: 'Acknowledged' as const, body, error: null });
const offered = { AvailableOSUpdates: [{ ProductKey: 'MSU_UPDATE_25G83_patch_26.6.2_minor', Version: '26.6.2', Build: '25G83', HumanReadableName: 'macOS Tahoe 26.6.2' }] };

test('scan, list, schedule: the product matching the target is scheduled with InstallASAP', () => {
  let r = legacyStep('pending', {}, { kind: 'start' }, ctx());
  assert.equal(r.command?.requestType, 'ScheduleOSUpdateScan');
  r = legacyStep('scanning', r.memory, ack('ScheduleOSUpdateScan', { ScanInitiated: true }), ctx());
  assert.equal(r.command?.requestType, 'AvailableOSUpdates');
  r = legacyStep('listing', r.memory, ack('AvailableOSUpdates', offered), ctx());
  assert.equal(r.state, 'scheduling');
  assert.deepEqual(r.command?.payload, { Updates: [{ ProductKey: 'MSU_UPDATE_25G83_patch_26.6.2_minor', InstallAction: 'InstallASAP' }] });
});

test('an iPhone lists without a scan and uses Default, then Default again once downloaded', () => {
  let r = legacyStep('pending', {}, { kind: 'start' }, ctx({ macos: false }));
  assert.equal(r.command?.requestType, 'AvailableOSUpdates');
  r = legacyStep('listing', r.memory, ack('AvailableOSUpdates', { AvailableOSUpdates: [{ ProductKey: 'iOSUpdate23G5', Version: '26.6.2', Build: '25G83' }] }), ctx({ macos: false }));
  assert.equal((r.command!.payload.Updates as Array<Record<string, unknown>>)[0]!.InstallAction, 'Default');
  r = legacyStep('scheduling', r.memory, ack('ScheduleOSUpdate', { UpdateResults: [{ ProductKey: 'iOSUpdate23G5', InstallAction: 'DownloadOnly', Status: 'Downloading' }] }), ctx({ macos: false }));
  assert.equal(r.state, 'downloading');
  r = legacyStep('downloading', r.memory, ack('OSUpdateStatus', { OSUpdateStatus: [{ ProductKey: 'iOSUpdate23G5', IsDownloaded: true, DownloadPercentComplete: 1, Status: 'Idle' }] }), ctx({ macos: false }));
  assert.equal(r.state, 'scheduling');
  assert.match(r.reason, /downloaded; sending ScheduleOSUpdate \(Default\) again/);
});

test('12008 for an InstallAction makes the next one be tried; 74 blocks', () => {
  const later = parseCampaignRequest({ name: 't', select: { all: true }, target: { version: '26.6.2' }, install_action: 'InstallLater' }, new Date(NOW)).spec;
  let r = legacyStep('listing', {}, ack('AvailableOSUpdates', offered), ctx({ spec: later }));
  assert.equal((r.command!.payload.Updates as Array<Record<string, unknown>>)[0]!.InstallAction, 'InstallLater');
  const e12008 = { kind: 'result' as const, requestType: 'ScheduleOSUpdate', status: 'Error' as const, body: {}, error: { code: 12008, domain: 'MCMDMErrorDomain', text: 'Unsupported InstallAction for this ProductKey' } };
  r = legacyStep('scheduling', r.memory, e12008, ctx({ spec: later }));
  assert.equal(r.state, 'scheduling');
  assert.equal((r.command!.payload.Updates as Array<Record<string, unknown>>)[0]!.InstallAction, 'InstallASAP');
  const e74 = { ...e12008, error: { code: 74, domain: 'MDMClientError', text: 'Command requires DEP enrollment: ScheduleOSUpdate' } };
  r = legacyStep('scheduling', r.memory, e74, ctx());
  assert.equal(r.state, 'blocked');
  assert.equal(r.reason, 'needs ADE enrollment for this update (error 74)');
});

test('no download progress for three polls: the reason says so, with the AC power hint', () => {
  const mem: LegacyMemory = { productKey: 'K', progress: 0, progressAt: NOW };
  const idle = ack('OSUpdateStatus', { OSUpdateStatus: [{ ProductKey: 'K', IsDownloaded: false, DownloadPercentComplete: 0, Status: 'Idle' }] });
  assert.equal(legacyStep('downloading', mem, idle, ctx({ now: NOW + 60_000 })).reason, 'downloading 0%');
  const stalled = legacyStep('downloading', mem, idle, ctx({ now: NOW + 180_000 }));
  assert.match(stalled.reason, /no download progress since 09:00 UTC at 0% .*waiting for AC power/);
  const moving = legacyStep('downloading', mem, ack('OSUpdateStatus', { OSUpdateStatus: [{ ProductKey: 'K', IsDownloaded: false, DownloadPercentComplete: 0.63, Status: 'Downloading' }] }), ctx({ now: NOW + 180_000 }));
  assert.equal(moving.reason, 'downloading 63%');
});

test('past the deadline a Mac still downloading is escalated to InstallForceRestart once', () => {
  const mem: LegacyMemory = { productKey: 'K' };
  const r = legacyStep('downloading', mem, { kind: 'tick' }, ctx({ deadline: NOW - 1 }));
  assert.deepEqual(r.command?.payload, { Updates: [{ ProductKey: 'K', InstallAction: 'InstallForceRestart' }] });
  const again = legacyStep('downloading', r.memory, { kind: 'tick' }, ctx({ deadline: NOW - 1 }));
  assert.equal(again.command?.requestType, 'OSUpdateStatus', 'escalated once, then polled');
});

test('NotNow keeps the step; an unanswered command is pushed again after a poll interval', () => {
  const mem: LegacyMemory = { productKey: 'K', pending: { uuid: 'U', type: 'OSUpdateStatus', sentAt: NOW } };
  const notNow = legacyStep('downloading', mem, { kind: 'result', requestType: 'OSUpdateStatus', status: 'NotNow', body: {}, error: null }, ctx());
  assert.equal(notNow.state, 'downloading');
  assert.equal(notNow.command, null);
  assert.match(notNow.reason, /NotNow/);
  const waiting = legacyStep('downloading', mem, { kind: 'tick' }, ctx({ now: NOW + 61_000 }));
  assert.equal(waiting.push, true);
  assert.equal(waiting.command, null, 'the queued command is not sent twice');
});

test('a target the device never offers is blocked after three scans, naming what it offers; failures retry then fail', () => {
  let mem: LegacyMemory = {};
  let r = legacyStep('listing', mem, ack('AvailableOSUpdates', { AvailableOSUpdates: [{ ProductKey: 'X', Version: '26.5.1', Build: '25F80' }] }), ctx());
  for (let i = 0; i < 2; i++) r = legacyStep('listing', r.memory, ack('AvailableOSUpdates', { AvailableOSUpdates: [{ ProductKey: 'X', Version: '26.5.1', Build: '25F80' }] }), ctx());
  assert.equal(r.state, 'verifying', 'it may already run the target: its version is confirmed first');
  assert.equal(r.command?.requestType, 'DeviceInformation');
  r = legacyStep('verifying', r.memory, ack('DeviceInformation', { QueryResponses: { OSVersion: '26.5' } }), ctx());
  assert.equal(r.state, 'blocked');
  assert.equal(r.reason, 'the device does not offer 26.6.2 (it offers: 26.5.1)');
  mem = { productKey: 'K' };
  const fail = { kind: 'result' as const, requestType: 'ScheduleOSUpdate', status: 'Error' as const, body: {}, error: { code: 5, domain: 'X', text: 'boom' } };
  r = legacyStep('scheduling', mem, fail, ctx());
  assert.equal(r.state, 'scanning');
  r = legacyStep('scheduling', r.memory, fail, ctx());
  r = legacyStep('scheduling', r.memory, fail, ctx());
  assert.equal(r.state, 'failed');
  assert.match(r.reason, /boom .*after 3 attempts/);
});

test('no room for the update blocks the device at once, even when the device calls it an InstallAction Error', () => {
  const r0 = legacyStep('listing', {}, ack('AvailableOSUpdates', offered), ctx({ macos: false }));
  const r = legacyStep('scheduling', r0.memory, ack('ScheduleOSUpdate', { UpdateResults: [{ ProductKey: 'MSU_UPDATE_25G83_patch_26.6.2_minor', InstallAction: 'Error', Status: 'DownloadInsufficientSpace' }] }), ctx({ macos: false }));
  assert.equal(r.state, 'blocked', r.reason);
  assert.match(r.reason, /not enough free space/);
  assert.equal(r.memory.attempts ?? 0, 0, 'no retry spent on it');
});
