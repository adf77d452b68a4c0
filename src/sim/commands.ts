// How a simulated device answers MDM commands: response keys shaped by Apple's schema and the real
// fixtures, state kept on the device (profiles, lock, OS), NotNow while locked, and the error a
// device gives for a command it does not know.
import { randomUUID, X509Certificate } from 'node:crypto';
import { parseAnyPlist, Real, type BuildInput, type PlistDict } from '../plist/index.js';
import type { DeviceState } from './device.js';
import { model } from './device.js';
import { major } from './models.js';
import * as legacy from './osupdate.js';
import { parseSignedData } from './pki.js';
import { ERRORS, fail, ok, type CommandResult } from './result.js';
import type { SimContext } from './context.js';
import { automatic, settingsOf } from './susettings.js';

/** What happens once the result is sent: a reboot, a shutdown, an erase or a DDM sync. */
export type AfterEffect = 'restart' | 'shutdown' | 'erase' | 'ddm-sync' | null;

export interface Handled {
  result: CommandResult;
  after: AfterEffect;
}

type Handler = (d: DeviceState, cmd: PlistDict, ctx: SimContext) => CommandResult | Handled;

const GB = 1_000_000_000;
const macAddr = (d: DeviceState, salt: number) =>
  Array.from({ length: 6 }, (_, i) => (((d.index * 2654435761 + salt * 97 + i * 31) >>> (i * 3)) & 0xff).toString(16).padStart(2, '0')).join(':');

/** DeviceInformation values the device knows, by query key. */
function information(d: DeviceState, ctx: SimContext): Record<string, BuildInput> {
  const m = model(d);
  const mac = d.platform === 'macos';
  const info: Record<string, BuildInput> = {
    UDID: d.udid, DeviceName: d.name, OSVersion: d.osVersion, BuildVersion: d.build,
    ModelName: mac ? m.name.split(' (')[0] : m.name, Model: m.modelNumber + 'LL/A', ModelNumber: m.modelNumber, ProductName: m.product,
    SerialNumber: d.serial, DeviceCapacity: new Real(d.capacityBytes / GB), AvailableDeviceCapacity: new Real(d.freeBytes / GB),
    IsSupervised: d.supervised, IsActivationLockEnabled: false, IsDeviceLocatorServiceEnabled: false, IsCloudBackupEnabled: false,
    WiFiMAC: macAddr(d, 1), BluetoothMAC: macAddr(d, 2), SoftwareUpdateDeviceID: m.deviceId,
    AwaitingConfiguration: d.awaitingConfiguration, SupplementalBuildVersion: d.build, SupplementalOSVersionExtra: '',
    IsAppleSilicon: m.arch === 'arm64', LocalHostName: d.name.replace(/[^A-Za-z0-9]+/g, '-'), HostName: `${d.name.replace(/[^A-Za-z0-9]+/g, '-')}.local`,
  };
  // Apple's schema gives TimeZone to iOS/iPadOS 14+ only (macOS answers no such query). The IANA Etc
  // zones count the other way: UTC-5 is Etc/GMT+5.
  if (!mac) info.TimeZone = `Etc/GMT${d.utcOffsetHours <= 0 ? '+' : '-'}${Math.abs(d.utcOffsetHours)}`;
  const settings = settingsOf(d); // softwareupdate.settings in force shows in the device's own settings
  const auto = settings && automatic(d, settings, ctx.scenario);
  if (mac) {
    info.EthernetMAC = macAddr(d, 3);
    info.OSUpdateSettings = {
      CatalogURL: 'https://swscan.apple.com/content/catalogs/others/index.sucatalog', IsDefaultCatalog: true,
      PreviousScanDate: new Date(d.lastScan || d.bootedAt), PreviousScanResult: '0', PerformPeriodicCheck: true,
      AutoCheckEnabled: true, BackgroundDownloadEnabled: auto ? auto.download : true, AutomaticAppInstallationEnabled: false,
      AutomaticOSInstallationEnabled: auto ? auto.installOS : false, AutomaticSecurityUpdatesEnabled: auto ? settings.installSecurity !== 'AlwaysOff' : true,
    };
  } else {
    info.BatteryLevel = new Real(d.acPower ? 1 : 0.62);
    info.IsMultiUser = false;
    info.ModemFirmwareVersion = d.platform === 'ios' ? '1.20.05' : '';
    if (!d.userEnrollment) info.SoftwareUpdateSettings = { RecommendationsCadence: ['All', 'Oldest', 'Newest'].indexOf(settings?.cadence ?? 'All') };
  }
  return info;
}

const deviceInformation: Handler = (d, cmd, ctx) => {
  const all = information(d, ctx);
  const queries = Array.isArray(cmd.Queries) ? cmd.Queries.map(String) : Object.keys(all);
  const out: Record<string, BuildInput> = {};
  for (const q of queries) if (q in all) out[q] = all[q];
  return ok({ QueryResponses: out });
};

const securityInfo: Handler = (d) => {
  const common = {
    HardwareEncryptionCaps: 3, PasscodePresent: d.platform !== 'macos', PasscodeCompliant: true, PasscodeCompliantWithProfiles: true,
    ManagementStatus: { EnrolledViaDEP: d.ade, UserApprovedEnrollment: d.userApproved, IsUserEnrollment: d.userEnrollment, IsActivationLockManageable: d.supervised },
  };
  if (d.platform !== 'macos') return ok({ SecurityInfo: { ...common, PasscodeLockGracePeriodEnforced: 0 } });
  const silicon = model(d).arch === 'arm64';
  return ok({
    SecurityInfo: {
      ...common, FDE_Enabled: true, FDE_HasPersonalRecoveryKey: true, FDE_HasInstitutionalRecoveryKey: false,
      SystemIntegrityProtectionEnabled: true, FirewallSettings: { FirewallEnabled: true, BlockAllIncoming: false, StealthMode: false },
      FirmwarePasswordStatus: { PasswordExists: false, ChangePending: false, AllowOroms: true },
      BootstrapTokenAllowedForAuthentication: silicon ? 'allowed' : 'not supported', BootstrapTokenRequiredForSoftwareUpdate: silicon,
      BootstrapTokenRequiredForKernelExtensionApproval: silicon, IsRecoveryLockEnabled: false,
      SecureBoot: { SecureBootLevel: 'full', ExternalBootLevel: 'disallowed' }, AuthenticatedRootVolumeEnabled: major(d.osVersion) >= 11,
    },
  });
};

const profileList: Handler = (d) => ok({
  ProfileList: [
    { PayloadIdentifier: 'com.github.updraft.enroll', PayloadUUID: 'enrollment', PayloadDisplayName: 'Enrollment Profile', PayloadVersion: 1, IsManaged: true, IsEncrypted: false, HasRemovalPasscode: false, PayloadRemovalDisallowed: d.ade, PayloadContent: [{ PayloadType: 'com.apple.mdm', PayloadIdentifier: 'com.github.updraft.enroll.mdm', PayloadUUID: 'mdm', PayloadVersion: 1 }] },
    ...d.profiles.map((p) => ({
      PayloadIdentifier: p.identifier, PayloadUUID: p.uuid, PayloadDisplayName: p.displayName, PayloadVersion: 1,
      IsManaged: true, IsEncrypted: false, HasRemovalPasscode: false, PayloadRemovalDisallowed: false,
      PayloadContent: p.payloadTypes.map((t, i) => ({ PayloadType: t, PayloadIdentifier: `${p.identifier}.${i}`, PayloadUUID: `${p.uuid}-${i}`, PayloadVersion: 1 })),
    })),
  ],
});

const installProfile: Handler = (d, cmd) => {
  if (!Buffer.isBuffer(cmd.Payload)) return fail(ERRORS.badProfile());
  let raw = cmd.Payload;
  try {
    if (raw[0] === 0x30) raw = parseSignedData(raw).content ?? raw; // a signed profile carries the plist inside
    const p = parseAnyPlist(raw) as PlistDict;
    if (typeof p.PayloadIdentifier !== 'string' || p.PayloadType !== 'Configuration') return fail(ERRORS.badProfile());
    const payloadTypes = Array.isArray(p.PayloadContent) ? p.PayloadContent.map((c) => String((c as PlistDict).PayloadType)) : [];
    const entry = { identifier: p.PayloadIdentifier, uuid: String(p.PayloadUUID ?? randomUUID()), displayName: String(p.PayloadDisplayName ?? p.PayloadIdentifier), payloadTypes };
    d.profiles = [...d.profiles.filter((x) => x.identifier !== entry.identifier), entry];
    return ok();
  } catch {
    return fail(ERRORS.badProfile());
  }
};

const removeProfile: Handler = (d, cmd) => {
  const id = String(cmd.Identifier ?? '');
  if (!d.profiles.some((p) => p.identifier === id)) return fail(ERRORS.profileNotFound(id));
  d.profiles = d.profiles.filter((p) => p.identifier !== id);
  return ok();
};

const certificateList: Handler = (d) => {
  const certs: Array<Record<string, BuildInput>> = [];
  if (d.certDer) {
    const der = Buffer.from(d.certDer, 'base64');
    const cn = /CN=([^\n]+)/.exec(new X509Certificate(der).subject)?.[1] ?? 'Device Identity';
    certs.push({ CommonName: cn, Data: der, IsIdentity: true });
  }
  return ok({ CertificateList: certs });
};

const APPS: Record<string, Array<[string, string, string]>> = {
  macos: [['com.apple.Safari', 'Safari', '18.6'], ['com.apple.Keynote', 'Keynote', '14.4'], ['com.microsoft.Word', 'Microsoft Word', '16.99'], ['com.google.Chrome', 'Google Chrome', '139.0.7258.128'], ['us.zoom.xos', 'zoom.us', '6.5.11']],
  ios: [['com.apple.Pages', 'Pages', '14.4'], ['com.microsoft.Office.Outlook', 'Microsoft Outlook', '5.2531.0'], ['com.tinyspeck.chatlyio', 'Slack', '25.08.10']],
};

const installedApplications: Handler = (d) => ok({
  InstalledApplicationList: APPS[d.platform === 'macos' ? 'macos' : 'ios'].map(([Identifier, Name, ShortVersion]) => ({
    Identifier, Name, ShortVersion, Version: ShortVersion, BundleSize: 150_000_000, DynamicSize: 20_000_000, IsValidated: true, Installing: false,
  })),
});

const legacyOnly = (h: Handler, macOnly = false): Handler => (d, cmd, ctx) =>
  legacy.legacyRemoved(d) || (macOnly && d.platform !== 'macos')
    ? fail(ERRORS.unknownCommand(String(cmd.RequestType)))
    : d.userEnrollment ? fail(ERRORS.needsSupervision(String(cmd.RequestType))) : h(d, cmd, ctx);

const HANDLERS: Record<string, Handler> = {
  DeviceInformation: deviceInformation,
  SecurityInfo: securityInfo,
  ProfileList: profileList,
  InstallProfile: installProfile,
  RemoveProfile: removeProfile,
  CertificateList: certificateList,
  InstalledApplicationList: installedApplications,
  RestartDevice: () => ({ result: ok(), after: 'restart' }),
  ShutDownDevice: () => ({ result: ok(), after: 'shutdown' }),
  DeviceLock: (d) => { d.locked = true; return ok(); },
  EraseDevice: () => ({ result: ok(), after: 'erase' }),
  DeviceConfigured: (d) => { d.awaitingConfiguration = false; return ok(); },
  DeclarativeManagement: () => ({ result: ok(), after: 'ddm-sync' }),
  ScheduleOSUpdateScan: legacyOnly((d, _c, ctx) => legacy.scan(d, ctx), true),
  AvailableOSUpdates: legacyOnly((d, _c, ctx) => legacy.available(d, ctx)),
  ScheduleOSUpdate: legacyOnly((d, c, ctx) => legacy.schedule(d, c, ctx)),
  OSUpdateStatus: legacyOnly((d, _c, ctx) => legacy.status(d, ctx)),
};

/** Commands a locked device still runs; everything else gets NotNow until it is unlocked. */
const WHILE_LOCKED = new Set(['DeviceLock', 'EraseDevice', 'RestartDevice', 'ShutDownDevice', 'ClearPasscode']);

export function handle(d: DeviceState, command: PlistDict, ctx: SimContext): Handled {
  const rt = typeof command.RequestType === 'string' ? command.RequestType : '';
  const h = HANDLERS[rt];
  if (!h) return { result: fail(ERRORS.unknownCommand(rt)), after: null };
  if (d.locked && !WHILE_LOCKED.has(rt)) return { result: { status: 'NotNow' }, after: null };
  const out = h(d, command, ctx);
  return 'result' in out ? out : { result: out, after: null };
}
