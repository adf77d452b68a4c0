// The client certificate as a TLS-terminating proxy forwards it in a header (--cert-header NAME):
//   RFC 9440 byte sequence   Client-Cert: :MIIB...:               (base64 DER between colons)
//   URL-escaped PEM          nginx $ssl_client_escaped_cert, AWS ALB X-Amzn-Mtls-Clientcert
//   plain PEM or base64 DER  what some proxies (Traefik, custom Lua) send
// An empty value means "no certificate" (nginx sends "" when the client presented none).

const PEM = /-----BEGIN[ +]CERTIFICATE-----([\s\S]*?)-----END[ +]CERTIFICATE-----/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** DER bytes of the certificate in a proxy header value; null when the value is empty; throws on garbage. */
export function certFromHeader(raw: string): Buffer | null {
  const v = raw.trim();
  if (v === '') return null;
  if (v.startsWith(':')) {
    if (!v.endsWith(':') || v.length < 3) throw new Error('malformed RFC 9440 certificate header');
    return decodeBase64(v.slice(1, -1));
  }
  let text = v;
  if (v.includes('%')) {
    try {
      text = decodeURIComponent(v);
    } catch {
      throw new Error('malformed URL-escaped certificate header');
    }
  }
  const pem = PEM.exec(text);
  if (pem) return decodeBase64(pem[1].replace(/[\s]/g, ''));
  return decodeBase64(text.replace(/\s/g, ''));
}

function decodeBase64(s: string): Buffer {
  if (!BASE64.test(s)) throw new Error('certificate header is not base64 or PEM');
  return Buffer.from(s, 'base64');
}
