// Python's plistlib as an independent oracle: one python3 process per call, fed a batch of JSON lines.
// Values cross the boundary in a typed encoding so that integer vs real, bytes and dates survive JSON.
import { spawnSync } from 'node:child_process';
import { Real, type PlistValue } from '../../src/plist/index.js';

/** ['s', text] | ['i', decimal] | ['r', float text] | ['b', bool] | ['d', base64] | ['t', unix seconds] | ['a', items] | ['o', [key, value][]] */
export type Typed = [string, unknown];

export interface OracleRequest {
  /** A value for plistlib to write: the reply carries `xml` and `bin` (base64). */
  value?: Typed;
  /** Bytes (base64) for plistlib.loads: the reply carries `loaded`. */
  raw?: string;
}
export interface OracleReply {
  xml?: string;
  bin?: string;
  loaded?: Typed;
  error?: string;
}

const SCRIPT = String.raw`
import base64, datetime, json, plistlib, sys
EPOCH = datetime.datetime(1970, 1, 1)
def dec(t):
    k, v = t
    if k == 's': return v
    if k == 'i': return int(v)
    if k == 'r': return float(v)
    if k == 'b': return v
    if k == 'd': return base64.b64decode(v)
    if k == 't': return EPOCH + datetime.timedelta(seconds=v)
    if k == 'a': return [dec(x) for x in v]
    if k == 'o': return {key: dec(x) for key, x in v}
    raise ValueError(k)
def enc(x):
    if isinstance(x, bool): return ['b', x]
    if isinstance(x, int): return ['i', str(x)]
    if isinstance(x, float): return ['r', repr(x)]
    if isinstance(x, str): return ['s', x]
    if isinstance(x, bytes): return ['d', base64.b64encode(x).decode()]
    if isinstance(x, datetime.datetime): return ['t', (x - EPOCH).total_seconds()]
    if isinstance(x, list): return ['a', [enc(y) for y in x]]
    if isinstance(x, dict): return ['o', [[k, enc(v)] for k, v in x.items()]]
    raise TypeError(type(x).__name__)
out = []
for line in sys.stdin.buffer.read().decode('utf-8').splitlines():
    req, rep = json.loads(line), {}
    try:
        if 'value' in req:
            v = dec(req['value'])
            rep['xml'] = plistlib.dumps(v).decode('utf-8')
            rep['bin'] = base64.b64encode(plistlib.dumps(v, fmt=plistlib.FMT_BINARY)).decode()
        if 'raw' in req:
            rep['loaded'] = enc(plistlib.loads(base64.b64decode(req['raw'])))
    except Exception as e:
        rep['error'] = '%s: %s' % (type(e).__name__, e)
    out.append(json.dumps(rep))
sys.stdout.write('\n'.join(out) + '\n')
`;

/** Runs all requests through a single python3 process. */
export function askPlistlib(requests: OracleRequest[]): OracleReply[] {
  const input = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const res = spawnSync('python3', ['-c', SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`python3 failed (${res.status}): ${res.stderr}`);
  const replies = res.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as OracleReply);
  if (replies.length !== requests.length) throw new Error(`python3 answered ${replies.length} of ${requests.length}`);
  return replies;
}

function realText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Our value in the typed encoding. */
export function encode(v: PlistValue): Typed {
  if (typeof v === 'string') return ['s', v];
  if (typeof v === 'boolean') return ['b', v];
  if (typeof v === 'bigint') return ['i', v.toString()];
  if (typeof v === 'number') return Number.isInteger(v) ? ['i', BigInt(v).toString()] : ['r', realText(v)];
  if (v instanceof Real) return ['r', realText(v.value)];
  if (Buffer.isBuffer(v)) return ['d', v.toString('base64')];
  if (v instanceof Date) return ['t', v.getTime() / 1000];
  if (Array.isArray(v)) return ['a', v.map(encode)];
  return ['o', Object.keys(v).map((k) => [k, encode(v[k])])];
}

/** Canonical form for comparison: reals as our text, dict entries sorted by key. */
export function normalize(t: Typed): Typed {
  const [k, v] = t;
  if (k === 'r') return ['r', realText(Number((v as string).replace(/^([+-]?)inf(inity)?$/i, '$1Infinity')))];
  if (k === 'a') return ['a', (v as Typed[]).map(normalize)];
  if (k === 'o') {
    const entries = (v as [string, Typed][]).map(([key, x]): [string, Typed] => [key, normalize(x)]);
    return ['o', entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))];
  }
  return t;
}
