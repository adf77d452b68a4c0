import v8 from 'node:v8'; import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const live = () => { gc(); gc(); return v8.getHeapStatistics().used_heap_size; };
const a = live(); const n0 = process.moduleLoadList.length;
for (const m of process.argv.slice(2)) require(m);
const b = live();
console.log(((b - a) / 1048576).toFixed(2), 'MB', process.moduleLoadList.length - n0, 'builtins', process.argv.slice(2).join(' '));
