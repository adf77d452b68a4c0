// A device message that does not follow the protocol (missing key, wrong type, unknown value).
// The HTTP layer answers it with 400 and the reason.
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
