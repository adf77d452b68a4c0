// Types for the parts of des.js used here (single DES-CBC, which Node's OpenSSL 3 only has in the legacy provider).
declare module 'des.js' {
  interface CipherInstance {
    update(data: Uint8Array | number[]): number[];
    final(): number[];
  }
  interface CipherFactory {
    create(options: { type: 'encrypt' | 'decrypt'; key: Uint8Array | number[]; iv: Uint8Array | number[]; padding?: boolean }): CipherInstance;
  }
  const des: {
    DES: unknown;
    CBC: { instantiate(base: unknown): CipherFactory };
  };
  export default des;
}
