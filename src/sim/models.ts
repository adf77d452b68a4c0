// Hardware and OS data for simulated devices, taken from the real catalogs (Apple's GDMF snapshot
// of 2026-08 and SOFA's board-ID mapping): model identifiers, board IDs (a Mac's
// SoftwareUpdateDeviceID), marketing names, which majors each model runs, and real version/build pairs.
// Versions 27.x are stand-ins for the coming generation (builds follow Apple's numbering, not a release).

export type Platform = 'macos' | 'ios' | 'ipados';

export interface HardwareModel {
  platform: Platform;
  /** Model identifier (ProductName), e.g. Mac14,2 or iPhone15,2. */
  product: string;
  /** SoftwareUpdateDeviceID: the board ID on Macs, the model identifier on iPhone and iPad. */
  deviceId: string;
  name: string;
  arch: 'arm64' | 'x86_64';
  minMajor: number;
  maxMajor: number;
  /** Model number prefix as DeviceInformation's ModelNumber reports it. */
  modelNumber: string;
}

const mac = (product: string, deviceId: string, name: string, arch: 'arm64' | 'x86_64', minMajor: number, maxMajor: number, modelNumber: string): HardwareModel =>
  ({ platform: 'macos', product, deviceId, name, arch, minMajor, maxMajor, modelNumber });
const ios = (platform: Platform, product: string, name: string, minMajor: number, maxMajor: number, modelNumber: string): HardwareModel =>
  ({ platform, product, deviceId: product, name, arch: 'arm64', minMajor, maxMajor, modelNumber });

export const MODELS: HardwareModel[] = [
  mac('MacBookPro14,2', 'Mac-937A206F2EE63C01', 'MacBook Pro (13-inch, 2017, Four Thunderbolt 3 ports)', 'x86_64', 10, 15, 'MPXV2'),
  mac('MacBookPro15,2', 'J132AP', 'MacBook Pro (13-inch, 2018, Four Thunderbolt 3 ports)', 'x86_64', 10, 15, 'MR9Q2'),
  mac('iMac19,1', 'Mac-63001698E7A34814', 'iMac (Retina 5K, 27-inch, 2019)', 'x86_64', 10, 15, 'MRR02'),
  mac('MacBookAir9,1', 'Mac-1E7E29AD0135F9BC', 'MacBook Air (Retina, 13-inch, 2020)', 'x86_64', 10, 15, 'MWTJ2'),
  mac('Macmini9,1', 'J274AP', 'Mac mini (M1, Late 2020)', 'arm64', 11, 99, 'MGNR3'),
  mac('MacBookAir10,1', 'J313AP', 'MacBook Air (M1, 2020)', 'arm64', 11, 99, 'MGN63'),
  mac('MacBookPro17,1', 'J293AP', 'MacBook Pro (13-inch, M1, 2020)', 'arm64', 11, 99, 'MYD82'),
  mac('MacBookPro18,3', 'J314sAP', 'MacBook Pro (14-inch, M1 Pro, 2021)', 'arm64', 12, 99, 'MKGP3'),
  mac('Mac14,2', 'J413AP', 'MacBook Air (M2, 2022)', 'arm64', 12, 99, 'MLY33'),
  mac('Mac14,3', 'J473AP', 'Mac mini (M2, 2023)', 'arm64', 13, 99, 'MMFJ3'),
  mac('Mac15,12', 'J613AP', 'MacBook Air (13-inch, M3, 2024)', 'arm64', 14, 99, 'MRXN3'),
  mac('Mac16,1', 'J604AP', 'MacBook Pro (14-inch, M4, Nov 2024)', 'arm64', 15, 99, 'MW2U3'),
  ios('ios', 'iPhone10,4', 'iPhone 8', 11, 16, 'MQ6G2'),
  ios('ios', 'iPhone12,1', 'iPhone 11', 13, 26, 'MWLT2'),
  ios('ios', 'iPhone14,2', 'iPhone 13 Pro', 15, 99, 'MLVA3'),
  ios('ios', 'iPhone15,2', 'iPhone 14 Pro', 16, 99, 'MQ0G3'),
  ios('ios', 'iPhone16,1', 'iPhone 15 Pro', 17, 99, 'MTUV3'),
  ios('ios', 'iPhone17,1', 'iPhone 16 Pro', 18, 99, 'MYNF3'),
  ios('ios', 'iPhone18,1', 'iPhone 17 Pro', 26, 99, 'MG8H4'),
  ios('ipados', 'iPad7,5', 'iPad (6th generation) Wi-Fi', 11, 17, 'MR7F2'),
  ios('ipados', 'iPad13,18', 'iPad (10th generation) Wi-Fi', 16, 99, 'MPQ03'),
  ios('ipados', 'iPad14,3', 'iPad Pro 11-inch (4th generation) Wi-Fi', 16, 99, 'MNXD3'),
  ios('ipados', 'iPad16,3', 'iPad Pro 11-inch (M4) Wi-Fi', 17, 99, 'MVV83'),
];

export interface OsRelease {
  version: string;
  build: string;
  /** Release date (YYYY-MM-DD, UTC): deferrals count from it. */
  released: string;
}

/** Real releases (GDMF 2026-08 and earlier public builds) with their release dates (SOFA's
 * ReleaseDate; GDMF's earliest PostingDate where SOFA has none; Apple's for 10.x); 27.0 stands in
 * for the next generation (its date too). */
export const RELEASES: Record<'macos' | 'ios', OsRelease[]> = {
  macos: [
    ['10.12.6', '16G29', '2017-07-19'], ['10.13.6', '17G65', '2018-07-09'], ['10.14', '18A391', '2018-09-24'],
    ['13.7.8', '22H730', '2025-08-20'], ['14.8.7', '23J520', '2026-05-11'], ['14.8.9', '23J631', '2026-08-06'],
    ['15.7.7', '24G720', '2026-05-11'], ['15.7.9', '24G830', '2026-08-06'],
    ['26.5', '25F71', '2026-05-11'], ['26.6', '25G72', '2026-07-27'], ['26.6.1', '25G76', '2026-08-06'], ['26.6.2', '25G83', '2026-08-17'],
    ['27.0', '26A5000', '2026-09-14'],
  ].map(([version, build, released]) => ({ version, build, released })),
  ios: [
    ['16.7.16', '20H392', '2026-05-18'], ['17.7.11', '21H461', '2026-05-11'], ['18.7.8', '22H352', '2026-04-22'], ['18.7.10', '22H374', '2026-08-17'],
    ['26.5', '23F77', '2026-05-11'], ['26.6', '23G71', '2026-07-27'], ['26.6.1', '23G83', '2026-08-17'], ['27.0', '24A5000', '2026-09-14'],
  ].map(([version, build, released]) => ({ version, build, released })),
};

export const osFamily = (p: Platform): 'macos' | 'ios' => (p === 'macos' ? 'macos' : 'ios');
export const major = (version: string): number => Number(version.split('.')[0]);

/** -1, 0 or 1 comparing dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** A macOS 10.x "major" is the second number (10.13 → 10.14); from 11 on it is the first. */
export function isMajorUpgrade(from: string, to: string): boolean {
  const key = (v: string) => (v.startsWith('10.') ? v.split('.').slice(0, 2).join('.') : String(major(v)));
  return key(from) !== key(to);
}

export function supports(model: HardwareModel, version: string): boolean {
  const m = version.startsWith('10.') ? 10 : major(version);
  return m >= model.minMajor && m <= model.maxMajor;
}

export function findModel(product: string): HardwareModel {
  const m = MODELS.find((x) => x.product === product);
  if (!m) throw new Error(`unknown model ${product} (known: ${MODELS.map((x) => x.product).join(', ')})`);
  return m;
}

export function findRelease(platform: Platform, version: string): OsRelease {
  const r = RELEASES[osFamily(platform)].find((x) => x.version === version);
  if (!r) throw new Error(`unknown ${platform} version ${version}`);
  return r;
}
