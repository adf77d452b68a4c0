// The fake APNs in its own process for bench/push.ts, so the server side does not share the
// provider's event loop (real APNs runs elsewhere). Reads the trusted push certificate (PEM) on
// stdin, prints {url, ca} as one JSON line, and runs until stdin closes.
import { text } from 'node:stream/consumers';
import { FakeApns } from '../src/push/fake-apns.js';

const trust = await text(process.stdin);
const fake = await FakeApns.start({ trust: [trust], wakeChannel: false });
process.stdout.write(JSON.stringify({ url: fake.url, ca: fake.ca }) + '\n');
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
