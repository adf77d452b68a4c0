// The MDM protocol model: check-in messages and command-channel reports as parsed from device plists.
// Field names follow Apple's keys (camelCased); `dict` keeps the whole parsed plist for whoever needs more.
import type { PlistDict } from '../plist/index.js';

export type EnrollmentType =
  | 'Device'
  | 'User'
  | 'SharediPad'
  | 'UserEnrollmentDevice'
  | 'UserEnrollment';

/** Inventory learned from Authenticate (and later DeviceInformation). */
export interface Inventory {
  serialNumber?: string | null;
  model?: string | null; // e.g. MacBookPro18,3 or iPhone14,2 (Authenticate "ProductName" on iOS, "Model" on macOS)
  modelName?: string | null; // e.g. MacBook Pro, iPad
  productName?: string | null;
  deviceName?: string | null;
  osVersion?: string | null;
  buildVersion?: string | null;
  imei?: string | null;
  meid?: string | null;
  platform?: Platform | null;
}

export type Platform = 'macOS' | 'iOS' | 'iPadOS' | 'tvOS' | 'watchOS' | 'visionOS';

/** The identifying keys a device sends on both channels (PROTOCOL.md §1.2). */
export interface Identifiers {
  udid?: string;
  enrollmentId?: string;
  enrollmentUserId?: string;
  userId?: string;
  userShortName?: string;
  userLongName?: string;
}

/** A normalized enrollment (channel): the key of its queue, push info and certificate binding. */
export interface Enrollment {
  /** UDID, UDID:UserID, UDID:UserShortName, EnrollmentID or EnrollmentID:EnrollmentUserID. */
  id: string;
  type: EnrollmentType;
  /** The device channel this channel belongs to (its own id for a device channel). */
  deviceId: string;
  udid: string | null;
  enrollmentId: string | null;
  userId: string | null;
  userShortName: string | null;
  userLongName: string | null;
}

interface MessageBase {
  enrollment: Enrollment;
  /** The whole parsed plist. */
  dict: PlistDict;
}

export interface AuthenticateMessage extends MessageBase {
  messageType: 'Authenticate';
  topic: string;
  inventory: Inventory;
}

export interface TokenUpdateMessage extends MessageBase {
  messageType: 'TokenUpdate';
  topic: string;
  token: Buffer;
  pushMagic: string;
  unlockToken: Buffer | null;
  awaitingConfiguration: boolean;
  notOnConsole: boolean;
}

export interface CheckOutMessage extends MessageBase {
  messageType: 'CheckOut';
  topic: string | null;
}

export interface UserAuthenticateMessage extends MessageBase {
  messageType: 'UserAuthenticate';
  /** Absent on the first round, present on the second. */
  digestResponse: string | null;
}

export interface SetBootstrapTokenMessage extends MessageBase {
  messageType: 'SetBootstrapToken';
  /** null (missing or empty) means: delete the escrowed token. */
  bootstrapToken: Buffer | null;
  awaitingConfiguration: boolean;
}

export interface GetBootstrapTokenMessage extends MessageBase {
  messageType: 'GetBootstrapToken';
  awaitingConfiguration: boolean;
}

export interface GetTokenMessage extends MessageBase {
  messageType: 'GetToken';
  tokenServiceType: string;
  tokenParameters: PlistDict | null;
}

export interface DeclarativeManagementMessage extends MessageBase {
  messageType: 'DeclarativeManagement';
  endpoint: string;
  /** The JSON bytes the device sent (status reports), if any. */
  data: Buffer | null;
}

export type CheckinMessage =
  | AuthenticateMessage
  | TokenUpdateMessage
  | CheckOutMessage
  | UserAuthenticateMessage
  | SetBootstrapTokenMessage
  | GetBootstrapTokenMessage
  | GetTokenMessage
  | DeclarativeManagementMessage;

export type MessageType = CheckinMessage['messageType'];

export type ReportStatus = 'Idle' | 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';

export interface ErrorChainItem {
  errorCode: number | null;
  errorDomain: string | null;
  localizedDescription: string | null;
  usEnglishDescription: string | null;
}

/** A command-channel PUT: an Idle poll or a command result. */
export interface CommandReport {
  status: ReportStatus;
  enrollment: Enrollment;
  /** Present on every result; null for Idle. */
  commandUuid: string | null;
  /** Echoed by some clients; may be empty. */
  requestType: string | null;
  errorChain: ErrorChainItem[] | null;
  dict: PlistDict;
}
