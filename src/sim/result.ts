// What a command handler hands back, and the device errors the simulator reports, as data.
import type { BuildInput } from '../plist/index.js';

export type ResultStatus = 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';

export interface CommandResult {
  status: ResultStatus;
  /** Response keys, at the top level of the result plist. */
  body?: Record<string, BuildInput>;
}

export type DeviceError = {
  ErrorCode: number;
  ErrorDomain: string;
  LocalizedDescription: string;
  USEnglishDescription?: string;
};

/** Errors as real devices word them (the seed post, the mdmb recording); codes marked "simulated"
 * stand in where Apple publishes no code. */
export const ERRORS = {
  unknownCommand: (rt: string): DeviceError => ({ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: `Unknown command: ${rt} <MDMClientError:91>` }),
  needsDep: (rt: string): DeviceError => ({ ErrorCode: 74, ErrorDomain: 'MDMClientError', LocalizedDescription: `Command requires DEP enrollment: ${rt} <MDMClientError:74>` }),
  unsupportedAction: (): DeviceError => ({ ErrorCode: 12008, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: 'Unsupported InstallAction for this ProductKey' }),
  needsSupervision: (rt: string): DeviceError => ({ ErrorCode: 12046, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: `The command ${rt} requires a supervised device.` }), // simulated code
  ddmActive: (rt: string): DeviceError => ({ ErrorCode: 12099, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: `${rt} is ignored: a declarative software update enforcement is active.` }), // simulated code
  notEnoughSpace: (): DeviceError => ({ ErrorCode: 28, ErrorDomain: 'NSPOSIXErrorDomain', LocalizedDescription: 'No space left on device' }),
  downloadFailed: (): DeviceError => ({ ErrorCode: -1001, ErrorDomain: 'NSURLErrorDomain', LocalizedDescription: 'The request timed out.' }),
  installFailed: (): DeviceError => ({ ErrorCode: 3, ErrorDomain: 'SUErrorDomain', LocalizedDescription: 'The update could not be installed.' }), // simulated code
  malformed: (why: string): DeviceError => ({ ErrorCode: 12008, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: `Invalid request: ${why}` }), // Apple's table: "Malformed request"
  // Apple's MDM protocol reference: MCMDMErrorDomain 12075 "Specified profile not installed".
  profileNotFound: (id: string): DeviceError => ({ ErrorCode: 12075, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: `The profile "${id}" is not installed.` }),
  badProfile: (): DeviceError => ({ ErrorCode: 1000, ErrorDomain: 'MCProfileErrorDomain', LocalizedDescription: 'The profile is malformed.' }),
};

export const ok = (body?: Record<string, BuildInput>): CommandResult => ({ status: 'Acknowledged', body });
export const fail = (...chain: DeviceError[]): CommandResult => ({ status: 'Error', body: { ErrorChain: chain } });
