// Scenarios as data (JSON): the fleet's make-up, the software update catalog each device sees,
// quirk probabilities, power and lock schedules, clock factor and random seed. Built-in ones live
// in src/sim/scenarios/; any other JSON file in the same shape can be passed by path.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.js';

const probability = z.number().min(0).max(1);

const FleetGroup = z.object({
  platform: z.enum(['macos', 'ios', 'ipados']),
  /** Share of the group within its platform (or of the whole fleet when no --mix is given). */
  weight: z.number().positive().default(1),
  /** Model identifiers to pick from (default: every model of the platform that runs the version). */
  models: z.array(z.string()).optional(),
  /** OS versions to pick from. */
  os: z.array(z.string()).min(1),
  supervised: probability.default(1),
  ade: probability.default(1),
  userApproved: probability.default(1),
  userEnrollment: probability.default(0),
  acPower: probability.default(1),
  locked: probability.default(0),
  freeDiskGB: z.tuple([z.number().nonnegative(), z.number().nonnegative()]).default([40, 200]),
  /** Offset of the device's local time from UTC, hours (DDM TargetLocalDateTime is local time). */
  utcOffsetHours: z.array(z.number()).default([0]),
});

const CatalogItem = z.object({
  productKey: z.string().optional(),
  name: z.string().optional(),
  version: z.string(),
  build: z.string().optional(),
  /** Bytes. */
  size: z.number().positive().optional(),
  /** A configuration-data product (e.g. the macOS Installer Notification): installs at once, no restart. */
  configData: z.boolean().default(false),
  /** Product key that must be installed (and a scan run) before this one is listed. */
  requires: z.string().optional(),
  /** Restrict the item to these model identifiers. */
  models: z.array(z.string()).optional(),
  /** Release date (ISO date or date-time; default: the real release's, else long ago): deferrals count from it. */
  released: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'expected an ISO date').optional(),
});

export const ScenarioSchema = z.object({
  name: z.string(),
  description: z.string().default(''),
  seed: z.number().int().default(1),
  /** Simulated seconds per real second. */
  clockFactor: z.number().positive().default(1),
  /** Simulated start time (ISO); default: now. */
  start: z.string().datetime().optional(),
  fleet: z.array(FleetGroup).min(1),
  /** Per platform family; absent: every later real release the model supports. */
  catalog: z.object({ macos: z.array(CatalogItem).optional(), ios: z.array(CatalogItem).optional() }).default({}),
  quirks: z.object({
    /** The install only starts when ScheduleOSUpdate is sent again after the download (the seed). */
    installNeedsResend: probability.default(0),
    downloadFailure: probability.default(0),
    installFailure: probability.default(0),
    /** Users who turned on automatic downloads / automatic OS installs themselves (applies where
     * softwareupdate.settings leaves the choice to the user, "Allowed"; DDM-capable devices only). */
    userAutoDownload: probability.default(0),
    userAutoInstall: probability.default(0),
  }).default({ installNeedsResend: 0, downloadFailure: 0, installFailure: 0, userAutoDownload: 0, userAutoInstall: 0 }),
  timing: z.object({
    /** Simulated seconds a full download takes on AC power. */
    downloadSeconds: z.number().positive().default(600),
    /** Simulated seconds from install start to the device back on the new OS. */
    installSeconds: z.number().positive().default(1800),
    /** Simulated seconds DDM takes to prepare a downloaded update. */
    prepareSeconds: z.number().positive().default(300),
    /** DDM full status report ("safety sync") period, simulated seconds. */
    fullReportSeconds: z.number().positive().default(86_400),
    /** How often a device with automatic updates on looks for one by itself, simulated seconds. */
    autoCheckSeconds: z.number().positive().default(86_400),
  }).default({ downloadSeconds: 600, installSeconds: 1800, prepareSeconds: 300, fullReportSeconds: 86_400, autoCheckSeconds: 86_400 }),
  /** Devices on battery plug in after this many simulated seconds; null: only when told. */
  power: z.object({ plugInAfterSeconds: z.number().nonnegative().nullable().default(null) }).default({ plugInAfterSeconds: null }),
  /** Locked devices unlock after this many simulated seconds; null: only when told. */
  lock: z.object({ unlockAfterSeconds: z.number().nonnegative().nullable().default(null) }).default({ unlockAfterSeconds: null }),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type FleetGroup = z.infer<typeof FleetGroup>;
export type CatalogItem = z.infer<typeof CatalogItem>;

const BUILT_IN = join(packageRoot, 'src/sim/scenarios');

/** A built-in scenario by name, or a JSON file by path. */
export function loadScenario(nameOrFile: string): Scenario {
  const builtIn = join(BUILT_IN, `${nameOrFile}.json`);
  const file = existsSync(builtIn) ? builtIn : nameOrFile;
  if (!existsSync(file)) throw new Error(`no scenario ${JSON.stringify(nameOrFile)}: not built in (mojave-2018, mixed-2026) and no such file`);
  const parsed = ScenarioSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`scenario ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Parses --mix "macos:60,ios:40" into platform shares. */
export function parseMix(mix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of mix.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(macos|ios|ipados):(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new Error(`--mix: expected platform:percent (macos, ios, ipados), got ${JSON.stringify(part)}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
