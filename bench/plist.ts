// Plist codec throughput on a realistic ~5 KB device message (a DeviceInformation result), against
// @expo/plist as the baseline, in the same run. Run: npx tsx bench/plist.ts
import { pathToFileURL } from 'node:url';
import expoModule from '@expo/plist';
import { buildPlist, parsePlist, Real, type PlistDict } from '../src/plist/index.js';

// @expo/plist is CommonJS with an __esModule default: Node's ESM loader hands us module.exports.
const expoPlist = expoModule.default;

/** What a Mac answers to DeviceInformation with a typical query list. */
function deviceInformationResult(): PlistDict {
  return {
    CommandUUID: '0f3c2b8e-6a1d-4c47-9d55-2b7e1f0c9a31',
    QueryResponses: {
      AvailableDeviceCapacity: new Real(312.4521484375),
      BatteryLevel: new Real(0.87),
      BluetoothMAC: 'a4:83:e7:12:34:56',
      BuildVersion: '23H222',
      DeviceCapacity: new Real(494.38364410400391),
      DeviceID: 'J413AP',
      DeviceName: 'Jane’s MacBook Air',
      EthernetMAC: 'a4:83:e7:65:43:21',
      HasBattery: true,
      HostName: 'janes-mba.corp.example.com',
      IsActivationLockEnabled: false,
      IsAppleSilicon: true,
      IsMDMLostModeEnabled: false,
      IsSupervised: true,
      LocalHostName: 'janes-mba',
      Model: 'MacBookAir10,1',
      ModelName: 'MacBook Air',
      ModelNumber: 'Z124',
      OSUpdateSettings: {
        AutoCheckEnabled: true,
        AutomaticAppInstallationEnabled: true,
        AutomaticOSInstallationEnabled: false,
        AutomaticSecurityUpdatesEnabled: true,
        BackgroundDownloadEnabled: true,
        CatalogURL: 'https://swscan.apple.com/content/catalogs/others/index-15-14-13-12-10.16-10.15-10.14-10.13-10.12-10.11-10.10-10.9-mountainlion-lion-snowleopard-leopard.merged-1.sucatalog.gz',
        IsDefaultCatalog: true,
        PerformPeriodicCheck: true,
        PreviousScanDate: new Date('2026-11-27T08:14:02Z'),
        PreviousScanResult: 0,
      },
      OSVersion: '14.7.1',
      ProductName: 'MacBookAir10,1',
      ProvisioningUDID: '00008103-001A2B3C4D5E6F70',
      SerialNumber: 'C02XK1ABCDEF',
      SoftwareUpdateDeviceID: 'J313AP',
      SupplementalBuildVersion: '23H222',
      SupplementalOSVersionExtra: '',
      SystemIntegrityProtectionEnabled: true,
      UDID: '5A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9',
      WiFiMAC: 'a4:83:e7:ab:cd:ef',
      AutoSetupAdminAccounts: [{ GUID: 'B6E1D5C2-8F3A-4D7E-9C1B-2A3F4E5D6C7B', shortName: 'ladmin' }],
      MDMOptions: { ActivationLockAllowedWhileSupervised: true },
      SecurityInfo: {
        AuthenticatedRootVolumeEnabled: true,
        BootstrapTokenAllowedForAuthentication: 'allowed',
        BootstrapTokenRequiredForKernelExtensionApproval: true,
        BootstrapTokenRequiredForSoftwareUpdate: true,
        FDE_Enabled: true,
        FDE_HasInstitutionalRecoveryKey: false,
        FDE_HasPersonalRecoveryKey: true,
        FirewallSettings: { AllowSigned: true, AllowSignedApp: false, BlockAllIncoming: false, FirewallEnabled: true, StealthMode: false, Applications: [] },
        FirmwarePasswordStatus: { AllowOroms: true, ChangePending: false, PasswordExists: false },
        IsRecoveryLockEnabled: false,
        ManagementStatus: { EnrolledViaDEP: true, IsActivationLockManageable: true, IsUserEnrollment: false, UserApprovedEnrollment: true },
        RemoteDesktopEnabled: false,
        SecureBoot: { ExternalBootLevel: 'disallowed', SecureBootLevel: 'full', WindowsBootLevel: 'not supported' },
        SystemIntegrityProtectionEnabled: true,
      },
      ServiceSubscriptions: [
        { CarrierSettingsVersion: '', CurrentCarrierNetwork: '', CurrentMCC: '', CurrentMNC: '', ICCID: '', IMEI: '', IsDataPreferred: false, IsRoaming: false, IsVoicePreferred: false, Label: 'Primary', LabelID: '8A1C2E3F-5B7D-4A9C-8E1F-3D5B7A9C1E2F', MEID: '', PhoneNumber: '', Slot: 'CTSubscriptionSlotOne' },
      ],
    },
    RequestType: 'DeviceInformation',
    Status: 'Acknowledged',
    UDID: '5A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9',
  };
}

/** Calls per second of f over about `ms` after a warm-up: per wall-clock second, and per second of this
 * process's CPU time (the steadier figure on a shared machine). */
function rate(f: () => unknown, ms = 1000): { wall: number; cpu: number } {
  for (let i = 0; i < 200; i++) f();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++) f();
    n += 50;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: Math.round((n * 1000) / elapsed), cpu: Math.round((n * 1e6) / (cpu.user + cpu.system)) };
}

export async function benchPlist(): Promise<void> {
  const value = deviceInformationResult();
  const xml = buildPlist(value);
  const bytes = Buffer.from(xml);
  const expoValue = expoPlist.parse(xml);
  const rows = [
    ['updraft parse (Buffer in)', rate(() => parsePlist(bytes))],
    ['@expo/plist parse', rate(() => expoPlist.parse(bytes.toString('utf8')))],
    ['updraft build', rate(() => buildPlist(value))],
    ['@expo/plist build', rate(() => expoPlist.build(expoValue))],
  ] as const;
  console.log(`plist codec, DeviceInformation result of ${bytes.length} bytes (ops per wall second / per CPU second):`);
  for (const [name, r] of rows) console.log(`  ${name.padEnd(28)} ${String(r.wall).padStart(8)} /s ${String(r.cpu).padStart(8)} /cpu-s`);
  console.log(`  parse speed-up over @expo/plist: ${(rows[0][1].cpu / rows[1][1].cpu).toFixed(1)}x`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchPlist();
