// CMS (RFC 5652): SignedData parse, verify and build; EnvelopedData with RSA key transport, open and seal.
// The one CMS layer: identity (Mdm-Signature), SCEP, profile signing and mdmcert.download use it.
export { CmsError, type CmsProblem } from './error.js';
export { parseSignedData, onlySigner, signerAlgorithms, messageDigest, verifySigner, type SignedMessage, type SignerInfo } from './signed.js';
export { signData, certsOnly, attribute, type SignOptions } from './sign.js';
export { openEnveloped, seal, type Opened, type Recipient } from './enveloped.js';
