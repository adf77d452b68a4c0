// `npm run bench`: every benchmark in one run, each printing its figures beside its baseline
// (another library, or a bare HTTP route) measured in the same run. Pass names to run a subset:
// npm run bench -- plist connect
import { benchPlist } from './plist.js';
import { benchStorage } from './storage.js';
import { benchIdentity } from './identity.js';
import { benchPush } from './push.js';
import { benchConnect } from './connect.js';
import { benchScep } from './scep.js';

const benches: Record<string, () => Promise<unknown>> = {
  plist: benchPlist,
  storage: benchStorage,
  identity: () => benchIdentity(),
  push: benchPush,
  connect: () => benchConnect(),
  scep: () => benchScep(),
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in benches)) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; choose from: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
}
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  await run();
}
