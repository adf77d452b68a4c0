// Known device error codes (ErrorChain domain + code) with what they mean in plain language and what an
// admin can do. Apple publishes no current table and says the codes may change between releases, so
// every explanation is keyed on (domain, code) and the device's own LocalizedDescription is always kept.
//
// Sources (each entry names one):
// - apple-ref: Apple's Mobile Device Management Protocol Reference, section "Error Codes" (the archived
//   developer.apple.com/library MobileDeviceManagementProtocolRef, read through a mirrored copy). It
//   lists each domain's codes with a few words each; the explanations and advice here are ours.
// - seed: the MicroMDM blog post "Updating to Mojave?" (2018), quoted in ../shared/seed and
//   fixtures/seed-blog: the error 74 and 12008 responses to ScheduleOSUpdate.
// - mdmb: fixtures/mdmb/conversation-nanomdm/12-PUT-mdm-Error-RestartDevice: a client answering a
//   command it does not implement with 12021 "Unknown command".
// - rdar-39591791: Apple bug reports 39591791 and 39170807 (openradar-mirror): iOS 11.3 and later
//   answer AvailableOSUpdates with DeviceManagement.error 2213 "No update available." over
//   com.apple.softwareupdateservices.errors 3 instead of an empty list.
// - apple-yaml: Apple's device-management schema (ScheduleOSUpdate, RequestRequiresNetworkTether).

export type ErrorSource = 'apple-ref' | 'seed' | 'mdmb' | 'rdar-39591791' | 'apple-yaml';

export interface ErrorAdvice {
  /** What the error means, in plain language. */
  explanation: string;
  /** What the admin can do about it, when there is something to do. */
  action?: string;
}

interface KnownError extends ErrorAdvice {
  domain: string;
  code: number;
  source: ErrorSource;
  /** A more precise reading when the error answers a given command. */
  byRequest?: Readonly<Record<string, ErrorAdvice & { source: ErrorSource }>>;
}

const MDM = 'MCMDMErrorDomain';
const PROFILE = 'MCProfileErrorDomain';
const PAYLOAD = 'MCPayloadErrorDomain';
const INSTALL = 'MCInstallationErrorDomain';

const REENROLL = 'Re-enroll the device with an enrollment profile that grants it.';
const RETRY_LATER = 'Send the command again later.';
const POWER = 'Connect the device to power (a Mac needs AC power; an iPhone or iPad more than 50% battery or power) and send the command again.';
const SPACE = 'Free storage on the device and send the command again.';
const CHECK_HELP = 'Check where it runs with `updraft cmd --help <RequestType>`.';

/** The table. Codes are as the devices send them; the explanations are ours. */
const KNOWN: readonly KnownError[] = [
  // seed: ScheduleOSUpdate (InstallASAP, macOS Mojave major upgrade) on a Mac not enrolled through DEP.
  {
    domain: 'MDMClientError', code: 74, source: 'seed',
    explanation: 'The command needs a Mac enrolled through Automated Device Enrollment (DEP); this one was enrolled another way.',
    action: 'Enroll the Mac through Apple Business Manager or Apple School Manager (Automated Device Enrollment), or have the user install the update in Software Update.',
    byRequest: {
      ScheduleOSUpdate: {
        source: 'seed',
        explanation: 'macOS refused to schedule the update because the Mac is not enrolled through Automated Device Enrollment (DEP); this is how a profile-enrolled Mac answers a major upgrade (seen with macOS Mojave and InstallASAP).',
        action: 'Enroll the Mac through Apple Business Manager or Apple School Manager, or have the user start the upgrade in Software Update.',
      },
    },
  },
  { domain: MDM, code: 12000, source: 'apple-ref', explanation: 'The MDM enrollment does not have the access right this command needs.', action: REENROLL },
  { domain: MDM, code: 12001, source: 'apple-ref', explanation: 'The device already has another MDM enrollment; it can only have one.', action: 'Remove the other MDM enrollment profile first.' },
  { domain: MDM, code: 12002, source: 'apple-ref', explanation: 'The device could not check in with the MDM server.', action: 'Check that the server URL in the enrollment profile is reachable from the device and its TLS certificate is trusted.' },
  { domain: MDM, code: 12003, source: 'apple-ref', explanation: 'The server\'s answer to the device\'s challenge was invalid.' },
  { domain: MDM, code: 12004, source: 'apple-ref', explanation: 'The push certificate is invalid.', action: 'Check the APNs push certificate with `updraft pushcert`.' },
  { domain: MDM, code: 12005, source: 'apple-ref', explanation: 'The device could not find the certificate the command or profile refers to.' },
  { domain: MDM, code: 12007, source: 'apple-ref', explanation: 'The device did not authorize the request.' },
  {
    domain: MDM, code: 12008, source: 'apple-ref',
    explanation: 'The device found the command malformed: a key or value it does not accept.',
    action: 'Check the payload against `updraft cmd --help <RequestType>`.',
    byRequest: {
      ScheduleOSUpdate: {
        source: 'seed',
        explanation: 'The device does not accept this InstallAction for this update ("Unsupported InstallAction for this ProductKey"); macOS major upgrades refuse NotifyOnly, DownloadOnly and InstallLater.',
        action: 'Send ScheduleOSUpdate again with InstallASAP or Default.',
      },
    },
  },
  { domain: MDM, code: 12009, source: 'apple-ref', explanation: 'The replacement profile is invalid.' },
  { domain: MDM, code: 12010, source: 'apple-ref', explanation: 'The device hit an internal inconsistency.', action: RETRY_LATER },
  { domain: MDM, code: 12011, source: 'apple-ref', explanation: 'The MDM configuration on the device is invalid.', action: 'Re-enroll the device.' },
  { domain: MDM, code: 12012, source: 'apple-ref', explanation: 'A replacement MDM profile does not match the installed one (topic, server or identity differ).', action: 'Keep the push topic and server URL unchanged when replacing the enrollment profile.' },
  { domain: MDM, code: 12013, source: 'apple-ref', explanation: 'The profile is not managed by this MDM server, so MDM cannot remove or change it.', action: 'Remove it on the device itself, or by whatever installed it.' },
  { domain: MDM, code: 12014, source: 'apple-ref', explanation: 'The provisioning profile is not managed by this MDM server.' },
  { domain: MDM, code: 12015, source: 'apple-ref', explanation: 'The device could not get a push token.', action: 'Check that the device can reach Apple\'s push service.' },
  { domain: MDM, code: 12016, source: 'apple-ref', explanation: 'The device identity (its certificate) is missing.', action: 'Re-enroll the device.' },
  { domain: MDM, code: 12020, source: 'apple-ref', explanation: 'The server refused the device.' },
  {
    domain: MDM, code: 12021, source: 'apple-ref',
    explanation: 'The device does not know this command: it is not supported on this platform or OS version, or it was removed (the legacy OS update commands end with the 26 releases).',
    action: CHECK_HELP,
  },
  { domain: MDM, code: 12022, source: 'apple-ref', explanation: 'The push topic is invalid.', action: 'The push certificate\'s topic must match the enrollment profile\'s Topic.' },
  { domain: MDM, code: 12023, source: 'apple-ref', explanation: 'The app\'s iTunes Store ID could not be validated.' },
  { domain: MDM, code: 12024, source: 'apple-ref', explanation: 'The app manifest could not be validated.' },
  { domain: MDM, code: 12025, source: 'apple-ref', explanation: 'The app is already installed.' },
  { domain: MDM, code: 12026, source: 'apple-ref', explanation: 'No license for the app was found.', action: 'Assign a Volume Purchase license for the app to the device or user.' },
  { domain: MDM, code: 12029, source: 'apple-ref', explanation: 'The app is not managed by MDM.' },
  { domain: MDM, code: 12031, source: 'apple-ref', explanation: 'App installation is disabled on the device.' },
  { domain: MDM, code: 12034, source: 'apple-ref', explanation: 'The URL is not HTTPS.', action: 'Serve the manifest and package over HTTPS.' },
  { domain: MDM, code: 12040, source: 'apple-ref', explanation: 'The device needs someone signed in to the App Store.' },
  { domain: MDM, code: 12048, source: 'apple-ref', explanation: 'No update is available.' },
  { domain: MDM, code: 12049, source: 'apple-ref', explanation: 'The device\'s passcode must be cleared before the update.', action: 'Clear the passcode (ClearPasscode) or have the user install the update.' },
  { domain: MDM, code: 12050, source: 'apple-ref', explanation: 'The software update scan failed.', action: RETRY_LATER },
  { domain: MDM, code: 12051, source: 'apple-ref', explanation: 'The update is already downloading.', action: 'Follow it with OSUpdateStatus.' },
  { domain: MDM, code: 12052, source: 'apple-ref', explanation: 'The update has already been downloaded.', action: 'Schedule the install (InstallASAP).' },
  { domain: MDM, code: 12053, source: 'apple-ref', explanation: 'The update must be downloaded through a computer.' },
  { domain: MDM, code: 12054, source: 'apple-ref', explanation: 'There is not enough storage to download the update.', action: SPACE },
  { domain: MDM, code: 12055, source: 'apple-ref', explanation: 'There is not enough power to download the update.', action: POWER },
  { domain: MDM, code: 12056, source: 'apple-ref', explanation: 'The network is not good enough to download the update.', action: 'Send the command again when the device is on a better network (Wi-Fi).' },
  { domain: MDM, code: 12057, source: 'apple-ref', explanation: 'The update download failed.', action: RETRY_LATER },
  { domain: MDM, code: 12058, source: 'apple-ref', explanation: 'The update is already installing.' },
  { domain: MDM, code: 12059, source: 'apple-ref', explanation: 'The update must be downloaded before it can be installed.', action: 'Schedule it with DownloadOnly or Default first, then install.' },
  { domain: MDM, code: 12060, source: 'apple-ref', explanation: 'There is not enough storage to install the update.', action: SPACE },
  { domain: MDM, code: 12061, source: 'apple-ref', explanation: 'There is not enough power to install the update.', action: POWER },
  { domain: MDM, code: 12062, source: 'apple-ref', explanation: 'The update failed to install.', action: RETRY_LATER },
  { domain: MDM, code: 12063, source: 'apple-ref', explanation: 'The user declined.' },
  { domain: MDM, code: 12064, source: 'apple-ref', explanation: 'No license was found.' },
  { domain: MDM, code: 12065, source: 'apple-ref', explanation: 'It is a system app, which MDM cannot manage this way.' },
  { domain: MDM, code: 12066, source: 'apple-ref', explanation: 'Lost Mode could not be enabled.' },
  { domain: MDM, code: 12067, source: 'apple-ref', explanation: 'The device is not in Lost Mode.' },
  { domain: MDM, code: 12068, source: 'apple-ref', explanation: 'The device\'s location could not be determined.' },
  { domain: MDM, code: 12069, source: 'apple-ref', explanation: 'Lost Mode could not be disabled.' },
  { domain: MDM, code: 12070, source: 'apple-ref', explanation: 'The device could not list its users.' },
  { domain: MDM, code: 12071, source: 'apple-ref', explanation: 'That user does not exist on the device.' },
  { domain: MDM, code: 12072, source: 'apple-ref', explanation: 'That user is logged in.', action: 'Log the user out first (LogOutUser).' },
  { domain: MDM, code: 12073, source: 'apple-ref', explanation: 'That user has data not yet synced.', action: 'Wait for the sync, or delete with ForceDeletion.' },
  { domain: MDM, code: 12074, source: 'apple-ref', explanation: 'The user could not be deleted.' },
  { domain: MDM, code: 12075, source: 'apple-ref', explanation: 'No profile with that identifier is installed.', action: 'List the installed profiles with ProfileList.' },
  { domain: MDM, code: 12076, source: 'apple-ref', explanation: 'The device does not support per-user connections.' },
  { domain: MDM, code: 12077, source: 'apple-ref', explanation: 'The system update is not allowed while a user is logged in.', action: 'Log the user out (LogOutUser) and send the command again.' },
  { domain: MDM, code: 12078, source: 'apple-ref', explanation: 'The device is in Lost Mode, where this command is not allowed.' },
  { domain: MDM, code: 12079, source: 'apple-ref', explanation: 'The device has no MDM enrollment.' },
  { domain: MDM, code: 12080, source: 'apple-ref', explanation: 'The Lost Mode sound could not be played.' },
  {
    domain: MDM, code: 12081, source: 'apple-ref',
    explanation: 'The command asked for a tethered network connection (RequestRequiresNetworkTether) and the device has none.',
    action: 'Tether the device to a computer, or send the command without RequestRequiresNetworkTether.',
  },
  { domain: PROFILE, code: 1000, source: 'apple-ref', explanation: 'The profile is malformed.', action: 'Check that the file is a valid .mobileconfig (plist, or signed CMS around one).' },
  { domain: PROFILE, code: 1001, source: 'apple-ref', explanation: 'The profile\'s version is not supported.' },
  { domain: PROFILE, code: 1002, source: 'apple-ref', explanation: 'The profile is missing a required field.' },
  { domain: PROFILE, code: 1003, source: 'apple-ref', explanation: 'A field of the profile has the wrong type.' },
  { domain: PROFILE, code: 1004, source: 'apple-ref', explanation: 'The profile\'s signature is bad.', action: 'Sign it again, or send it unsigned.' },
  { domain: PROFILE, code: 1005, source: 'apple-ref', explanation: 'The profile is empty.' },
  { domain: PROFILE, code: 1006, source: 'apple-ref', explanation: 'The device cannot decrypt the profile.', action: 'Encrypt it to a certificate the device holds (its identity).' },
  { domain: PROFILE, code: 1007, source: 'apple-ref', explanation: 'The profile\'s UUIDs are not unique.' },
  { domain: PROFILE, code: 1008, source: 'apple-ref', explanation: 'The profile\'s payload identifiers are not unique.' },
  { domain: PROFILE, code: 1009, source: 'apple-ref', explanation: 'The profile failed to install.' },
  { domain: PROFILE, code: 1010, source: 'apple-ref', explanation: 'A field of the profile has a value the device does not support.' },
  { domain: PAYLOAD, code: 2000, source: 'apple-ref', explanation: 'A payload of the profile is malformed.' },
  { domain: PAYLOAD, code: 2001, source: 'apple-ref', explanation: 'A payload\'s version is not supported.' },
  { domain: PAYLOAD, code: 2002, source: 'apple-ref', explanation: 'A payload is missing a required field.' },
  { domain: PAYLOAD, code: 2003, source: 'apple-ref', explanation: 'A payload field has the wrong type.' },
  { domain: PAYLOAD, code: 2004, source: 'apple-ref', explanation: 'A payload field has a value the device does not support.' },
  { domain: INSTALL, code: 4000, source: 'apple-ref', explanation: 'The device could not parse the profile.' },
  { domain: INSTALL, code: 4001, source: 'apple-ref', explanation: 'The profile installation failed.' },
  { domain: INSTALL, code: 4004, source: 'apple-ref', explanation: 'The user cancelled the installation.' },
  { domain: INSTALL, code: 4005, source: 'apple-ref', explanation: 'The device\'s passcode does not comply with the profile.', action: 'The user must change the passcode first.' },
  { domain: INSTALL, code: 4007, source: 'apple-ref', explanation: 'The file format is not recognized.' },
  { domain: INSTALL, code: 4008, source: 'apple-ref', explanation: 'The certificates do not match.' },
  { domain: INSTALL, code: 4009, source: 'apple-ref', explanation: 'The device is locked.', action: 'Send the command again once the device is unlocked.' },
  { domain: INSTALL, code: 4010, source: 'apple-ref', explanation: 'The updated profile has a different identifier from the installed one.' },
  { domain: INSTALL, code: 4012, source: 'apple-ref', explanation: 'The installed profile cannot be updated.' },
  { domain: INSTALL, code: 4013, source: 'apple-ref', explanation: 'The profile update failed.' },
  { domain: INSTALL, code: 4016, source: 'apple-ref', explanation: 'The device hit an internal error.', action: RETRY_LATER },
  { domain: INSTALL, code: 4020, source: 'apple-ref', explanation: 'Installing this profile through the user interface is not allowed.' },
  { domain: INSTALL, code: 4021, source: 'apple-ref', explanation: 'The profile must be installed non-interactively.' },
  { domain: INSTALL, code: 4022, source: 'apple-ref', explanation: 'The profile must be installed through MDM.' },
  { domain: INSTALL, code: 4023, source: 'apple-ref', explanation: 'The profile holds a payload the device does not accept.' },
  { domain: INSTALL, code: 4024, source: 'apple-ref', explanation: 'The profile was not found.' },
  { domain: INSTALL, code: 4025, source: 'apple-ref', explanation: 'The profile needs a supervised device.' },
  { domain: INSTALL, code: 4030, source: 'apple-ref', explanation: 'The profile holds a payload not accepted on Shared iPad.' },
  { domain: 'MCPasscodeErrorDomain', code: 5010, source: 'apple-ref', explanation: 'The device is locked.' },
  { domain: 'MCPasscodeErrorDomain', code: 5013, source: 'apple-ref', explanation: 'The passcode could not be cleared.' },
  {
    domain: 'DeviceManagement.error', code: 2213, source: 'rdar-39591791',
    explanation: 'No update is available. Since iOS 11.3 devices answer AvailableOSUpdates this way instead of with an empty list.',
    action: 'Nothing to do: the device is up to date as far as Software Update knows.',
  },
  {
    domain: 'com.apple.softwareupdateservices.errors', code: 3, source: 'rdar-39591791',
    explanation: 'Software Update reported error 3; under "No update available" (DeviceManagement.error 2213) it only means there is nothing to offer.',
  },
];

const BY_KEY = new Map(KNOWN.map((e) => [`${e.domain}#${e.code}`, e]));

/** The plain-language reading of one error, or null when the (domain, code) is not known. */
export function explainError(domain: string | null, code: number | null, requestType?: string | null): (ErrorAdvice & { source: ErrorSource }) | null {
  if (domain === null || code === null) return null;
  const e = BY_KEY.get(`${domain}#${code}`);
  if (!e) return null;
  const specific = requestType ? e.byRequest?.[requestType] : undefined;
  if (specific) return specific;
  return { explanation: e.explanation, ...(e.action ? { action: e.action } : {}), source: e.source };
}

/** Every known (domain, code), for documentation and tests. */
export function knownErrors(): ReadonlyArray<{ domain: string; code: number; source: ErrorSource }> {
  return KNOWN.map(({ domain, code, source }) => ({ domain, code, source }));
}
