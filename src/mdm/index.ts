// The pure MDM protocol model (no I/O).
export * from './types.js';
export { ProtocolError } from './errors.js';
export { parseCheckin, inventoryOf } from './checkin.js';
export { parseReport, parseErrorChain } from './report.js';
export { resolveEnrollment, identifiersOf, SHARED_IPAD_USER_ID } from './enrollment.js';
export { platformOf } from './platform.js';
