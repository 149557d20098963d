// Opens the storage in argv[2] and reports how long it took to be ready and the memory used.
import { SqliteStorage } from "../src/index.js";

const mb = (n: number) => n / 1024 / 1024;
const rssBefore = process.memoryUsage().rss;
const start = performance.now();
const s = SqliteStorage.open(process.argv[2]!);
// "Ready" means the core could start: hard state, bounds and the tail are readable.
const last = s.lastIndex();
s.term(last);
s.entries(Math.max(s.firstIndex(), last - 100), last + 1, 1 << 20);
s.hardState();
const openMs = performance.now() - start;
const mem = process.memoryUsage();
s.close();
console.log(JSON.stringify({ openMs, lastIndex: last, rssBeforeMb: mb(rssBefore), rssAfterMb: mb(mem.rss), heapUsedMb: mb(mem.heapUsed) }));
