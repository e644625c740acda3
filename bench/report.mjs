// Turns bench/browser-bench.mjs's figures and criterion's estimates into the table
// scripts/bench prints, and writes everything to bench/results.json.
//   node bench/report.mjs BROWSER_JSON CRITERION_DIR OUT_JSON
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [browserFile, criterionDir, outFile] = process.argv.slice(2);
// A previous bench/results.json works too (its `browser` part is reused).
const input = existsSync(browserFile) ? JSON.parse(readFileSync(browserFile, 'utf8')) : {};
const b = input.browser ?? input;

// criterion: <dir>/<group>/<function>/new/{estimates,benchmark}.json
const core = {};
if (criterionDir && existsSync(criterionDir)) {
  for (const group of readdirSync(criterionDir)) {
    const gdir = join(criterionDir, group);
    if (group === 'report' || !existsSync(gdir)) continue;
    for (const fn of readdirSync(gdir)) {
      const est = join(gdir, fn, 'new', 'estimates.json');
      const meta = join(gdir, fn, 'new', 'benchmark.json');
      if (!existsSync(est)) continue;
      const e = JSON.parse(readFileSync(est, 'utf8'));
      const m = existsSync(meta) ? JSON.parse(readFileSync(meta, 'utf8')) : {};
      const ns = e.median.point_estimate;
      const bytes = m.throughput?.Bytes ?? null;
      // MB/s only where bytes are the work: not for the key derivation, nor for `open`,
      // which is mostly the derivation.
      const rate = bytes && !/pbkdf2|\/open$/.test(`${group}/${fn}`);
      core[`${group}/${fn}`] = { medianMs: ns / 1e6, bytes, mbPerSec: rate ? bytes / (ns / 1e9) / 1e6 : null };
    }
  }
}

const rows = [];
const kB = (n) => (n == null ? '-' : `${(n / 1000).toFixed(1)} kB`);
const ms = (n) => (n == null ? '-' : `${n.toFixed(n < 10 ? 1 : 0)} ms`);
const MB = (n) => (n == null ? '-' : `${(n / 1048576).toFixed(1)} MiB`);
const x = (a, c) => (a == null || c == null || c === 0 ? '-' : `${(a / c).toFixed(2)}x`);
const verdict = (ok) => (ok == null ? '' : ok ? 'PASS' : 'MISS');
const row = (figure, value, baseline = '-', ratio = '-', goal = '', ok = null) =>
  rows.push({ figure, value, baseline, ratio, goal, result: verdict(ok) });
const section = (t) => rows.push({ section: t });

if (b.size) {
  section('1. Size (as byok-host serves it; kB = 1000 bytes)');
  for (const a of b.size.assets) row(`  ${a.file}`, `${kB(a.raw)} raw`, `${kB(a.gzip)} gzip`, `${kB(a.br)} br`);
  const t = b.size.total;
  row('  total raw / brotli', `${kB(t.raw)} / ${kB(t.br)}`);
  row('  total gzip', kB(t.gzip), '-', '-', '<= 250 kB', t.gzip <= 250_000);
}
if (b.coldLoad) {
  const m = b.coldLoad.median;
  section(`2. Cold load, fresh context (median of ${b.coldLoad.app.length})`);
  row('  navigation to passphrase field ready', ms(m.app), `${ms(m.static)} static page`, x(m.app, m.static), '<= 2x baseline', m.app <= 2 * m.static);
  const over = b.coldLoad.longest.filter((t) => t > 50).length;
  row('  longest task, load and app start', ms(m.longest), `${over} of ${b.coldLoad.longest.length} runs over 50 ms`, '-', 'no task > 50 ms', m.longest <= 50);
  row('  typing into the field works', b.coldLoad.typingWorked ? 'yes' : 'NO');
}
if (b.unlock) {
  const m = b.unlock.median;
  section(`3. Unlock (PBKDF2-SHA256 ${b.unlock.iterations} iterations; median of ${b.unlock.app.length})`);
  row('  click Unlock to key list', ms(m.app), `${ms(m.kdf)} deriveBits alone`, x(m.app, m.kdf), '<= 1.15x baseline', m.app <= 1.15 * m.kdf);
  if (m.longest != null) {
    const over = b.unlock.longest.filter((t) => t > 50).length;
    row('  longest task, click to key list', ms(m.longest), `${over} of ${b.unlock.longest.length} runs over 50 ms`, '-', 'no task > 50 ms', m.longest <= 50);
  }
}
if (b.streaming) {
  const m = b.streaming.median;
  const r = b.runs;
  section(`4. Streaming the 50 KB markdown answer (median of ${b.streaming.fast.length} fast, ${b.streaming.paced.length} paced runs)`);
  row(`  fast, ${r.FAST_DELTAS} deltas: deltas absorbed/s`, `${Math.round(m.fastDeltasPerSec)}/s`, `${Math.round(m.rawDeltasPerSec)}/s bare read loop`, x(m.fastDeltasPerSec, m.rawDeltasPerSec), '(info)');
  row('  fast: longest main-thread task', ms(m.fastLongest), '-', '-', 'no task > 50 ms', m.fastLongest <= 50);
  row('  fast: main-thread busy (CDP TaskDuration)', ms(m.fastBusy), `${ms(m.oneRender)} one render`, x(m.fastBusy, m.oneRender), '(info)');
  if (m.fastRenderWork != null) {
    row('  fast: of which receiving it (bare read in a worker)', ms(m.fastBareBusy), '-', '-', '(info)');
    row('  fast: a one-line exchange, busy', ms(m.fastOneLineBusy), '-', '-', '(info)');
    row('  fast: work for the long answer (see docs)', ms(m.fastRenderWork), `${ms(m.oneRender)} one render`, x(m.fastRenderWork, m.oneRender), '<= 3x one render', m.fastRenderWork <= 3 * m.oneRender);
  }
  row('  fast: wall, send to final paint / renders', `${ms(m.fastWall)} / ${m.fastRenders}`);
  row('  fast: last byte to final paint', ms(Math.max(0, m.fastFinalPaint)));
  row('  one render of the finished answer: longest task', ms(m.oneRenderLongest), '-', '-', 'no task > 50 ms', m.oneRenderLongest <= 50);
  row(`  paced ${r.PACED_RATE}/s, ${r.PACED_DELTAS} deltas: absorbed/s`, `${m.pacedDeltasPerSec.toFixed(0)}/s`, `${r.PACED_RATE}/s sent`);
  row('  paced: longest main-thread task', ms(m.pacedLongest), '-', '-', 'no task > 50 ms', m.pacedLongest <= 50);
  row('  paced: busy / wall time', `${ms(m.pacedBusy)} / ${ms(m.pacedWall)}`, '-', `${(100 * m.pacedBusyShare).toFixed(1)}%`, '<= 10% of wall', m.pacedBusyShare <= 0.10);
  if (m.pacedBareShare != null) {
    row(`  paced: of which receiving it (bare read in a worker, ${b.streaming.paced.filter((x) => x.bare).length} runs)`, '-', '-', `${(100 * m.pacedBareShare).toFixed(1)}%`, '(info)');
  }
  row('  paced: last byte to final paint', ms(Math.max(0, m.pacedFinalPaint)));
}
if (b.scale) {
  const m = b.scale.median;
  const r = b.runs;
  section(`5. Scale: ${r.SCALE_KEYS} keys, ${r.SCALE_CONVS} conversations x ${r.SCALE_MSGS} messages (median of ${b.scale.runs.length})`);
  row(`  click Unlock to the key list (first ${m.builtAtFirst ?? '?'} rows, all counted)`, ms(m.unlock), `${ms(m.kdf)} deriveBits alone`, x(m.unlock, m.kdf));
  row('  key list after the derivation (unlock - kdf)', ms(m.listRender), '-', '-', '< 100 ms', m.listRender < 100);
  if (m.firstRows != null) row('  first key rows shown, after the derivation', ms(m.firstRows), '-', '-', '(info)');
  if (m.toEnd != null) row(`  then jump to the end until all ${r.SCALE_KEYS} rows are built`, ms(m.toEnd), '-', '-', '(info)');
  row('  search keys (1 of 1000 left)', ms(m.search), '-', '-', '(info)');
  if (m.action != null) {
    row('  then (De)activate that key: click to button changed', ms(m.action), '-', '-', '(info)');
    row('  its longest task (0 when none over 50 ms)', ms(m.actionLongest), '-', '-', '(info)');
  }
  row('  Chat page: all conversations listed', ms(m.chatList), '-', '-', '(info: decrypts all)');
  row(`  open a ${r.SCALE_MSGS}-message conversation`, ms(m.open), '-', '-', '< 100 ms', m.open < 100);
  if (m.convSearch != null) {
    row('  search every message for a missing word (incl. 250 ms typing pause)', ms(m.convSearch), '-', '-', '(info: decrypts all)');
    row('  its longest task (0 when none over 50 ms)', ms(m.convSearchLongest), '-', '-', '(info)');
  }
  row('  JS heap (locked -> unlocked, chat open)', `${MB(m.jsHeapLocked)} -> ${MB(m.jsHeap)}`);
  row('  wasm memory (locked -> unlocked, chat open)', `${MB(m.wasmLocked)} -> ${MB(m.wasm)}`);
  row('  longest task in the run', ms(m.longest), '-', '-', '(info)');
}
if (Object.keys(core).length) {
  section('6. byok-core, native (criterion median)');
  for (const [name, c] of Object.entries(core)) {
    row(`  ${name}`, ms(c.medianMs), '-', c.mbPerSec ? `${c.mbPerSec.toFixed(0)} MB/s` : '-');
  }
}

const cols = ['figure', 'value', 'baseline', 'ratio', 'goal', 'result'];
const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.filter((r) => !r.section).map((r) => String(r[c]).length))]));
const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join('  ').trimEnd();
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
for (const r of rows) console.log(r.section ? `\n${r.section}` : line(r));
if (b.machine) {
  const l = (a) => a.map((v) => v.toFixed(2)).join(' ');
  console.log(`\nmachine: ${b.machine.cpus} x ${b.machine.model}; load average ${l(b.machine.loadavgStart)} at start, ${l(b.machine.loadavgEnd)} at end`);
  if (b.machine.loadavgStart[0] > b.machine.cpus * 0.5) {
    console.log('warning: the machine was busy when the run started; the load and stream ratios swing with it (run again when it is idle)');
  }
}
const misses = rows.filter((r) => r.result === 'MISS').map((r) => r.figure.trim());
console.log(misses.length ? `goals missed: ${misses.length} (${misses.join('; ')})` : 'all goals met');

writeFileSync(outFile, `${JSON.stringify({ browser: b, core, table: rows }, null, 2)}\n`);
