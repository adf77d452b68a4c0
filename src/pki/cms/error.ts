// Why a CMS message was refused: malformed (cannot be read), badAlg (an algorithm we do not accept),
// badSignature (digest, signature or decryption does not check out). SCEP maps these to failInfo values.
export type CmsProblem = 'malformed' | 'badAlg' | 'badSignature';

export class CmsError extends Error {
  override name = 'CmsError';
  constructor(readonly problem: CmsProblem, message: string) {
    super(message);
  }
}
