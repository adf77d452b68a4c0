// The JSON of campaigns, their devices and dry-run plans (snake_case, as the fixed API shape says).
import type { CampaignDeviceRecord, CampaignRecord } from '../../storage/types.js';
import type { CampaignSpec, Plan } from '../../osupdate/campaign/index.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function specJson(s: CampaignSpec): Record<string, unknown> {
  const sel = s.select;
  return {
    select: {
      ...(sel.all ? { all: true } : {}), ...(sel.enrollmentIds ? { enrollment_ids: sel.enrollmentIds } : {}),
      ...(sel.platform ? { platform: sel.platform } : {}), ...(sel.models ? { models: sel.models } : {}),
      ...(sel.osMin ? { os_min: sel.osMin } : {}), ...(sel.osMax ? { os_max: sel.osMax } : {}), ...(sel.tags ? { tags: sel.tags } : {}),
    },
    target: s.target,
    deadline: s.deadline,
    time_zone: s.timeZone,
    waves: s.waves.map((w) => (w.enrollmentIds ? { enrollment_ids: w.enrollmentIds } : { percent: w.percent })),
    promotion: { success_rate: s.promotion.successRate, soak_seconds: s.promotion.soakSeconds },
    window: s.window ? s.window.text : null,
    max_in_flight: s.maxInFlight,
    retries: s.retries,
    install_action: s.installAction,
    install_within_hours: s.installWithinHours,
    max_user_deferrals: s.maxUserDeferrals,
    details_url: s.detailsUrl,
    ddm_settings: s.ddmSettings,
  };
}

export function campaignJson(c: CampaignRecord, counts: Array<{ wave: number; state: string; count: number }>): Record<string, unknown> {
  const spec = c.spec as CampaignSpec;
  const byState: Record<string, number> = {};
  const byWave = spec.waves.map(() => ({} as Record<string, number>));
  let total = 0;
  for (const x of counts) {
    byState[x.state] = (byState[x.state] ?? 0) + x.count;
    const w = byWave[x.wave] ?? (byWave[x.wave] = {});
    w[x.state] = (w[x.state] ?? 0) + x.count;
    total += x.count;
  }
  const done = byState.done ?? 0;
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    counts: byState,
    devices: total,
    progress: total ? Math.round((done / total) * 1000) / 10 : 0,
    wave: c.wave + 1,
    waves: byWave.map((w, i) => ({ wave: i + 1, released: i <= c.wave, counts: w })),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    ended_at: iso(c.endedAt),
    spec: specJson(spec),
  };
}

export function deviceJson(d: CampaignDeviceRecord): Record<string, unknown> {
  return {
    enrollment_id: d.deviceId,
    state: d.state,
    reason: d.reason,
    path: d.path,
    os_version: d.osVersion,
    build_version: d.buildVersion,
    target_version: d.targetVersion,
    target_build: d.targetBuild,
    wave: d.wave + 1,
    active: d.active,
    next_check_at: iso(d.nextAt),
    updated_at: iso(d.updatedAt),
    done_at: iso(d.doneAt),
  };
}

export function planJson(p: Plan & { wave: number }): Record<string, unknown> {
  return {
    enrollment_id: p.deviceId,
    state: p.state,
    reason: p.reason,
    path: p.path,
    platform: p.platform,
    model: p.model,
    os_version: p.osVersion,
    build_version: p.buildVersion,
    target_version: p.target?.version ?? null,
    target_build: p.target?.build ?? null,
    device_decides: p.deviceDecides,
    major_upgrade: p.major,
    wave: p.wave + 1,
    ...(p.window ? { window_time_zone: p.window.zone, window_note: p.window.note } : {}),
  };
}
