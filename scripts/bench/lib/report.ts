// docs/PERFORMANCE.md from one or more bench runs: the machine, one column per run (every ratio computed inside its
// own run), each issue-10 target with met / missed, and automatic notes on what a miss comes from. A hand-written
// section between the notes markers survives regeneration.
import { bigDayNotes, bigDayRows } from './bigday-report';
import { WARM_UP } from './load';
import type { BenchResult, Phase } from './run';
import { latencyMethod, latencyNotes, latencyRows } from './latency';

/** A table row: a label, one cell per run, the target and whether each run met it. */
interface Row {
  label: string;
  cells: string[];
  target?: string;
  met?: (boolean | undefined)[];
}

export const NOTES_BEGIN = '<!-- notes:begin (kept when the bench regenerates this file) -->';
export const NOTES_END = '<!-- notes:end -->';

const MAX_BUNDLE_BYTES = 300 * 1000;
const MAX_BUNDLE_LOAD_MS = 25;
/** Issue 19: stack CPU per payment notification at most this many verify+decrypt-only requests' CPU. */
export const NOTIFY_CPU_VS_VERIFY_ONLY = 1.5;
/** Issue 19: stack CPU per checkout (simulator apart) at most this many times the CPU of its two RSA signatures. */
export const CHECKOUT_CPU_VS_SIGNATURES = 4;

/** Round-trip targets of issue 10 (operation label → most round trips allowed). */
export const ROUND_TRIP_TARGETS: Readonly<Record<string, number>> = {
  'payNotify (payment)': 2,
  'payNotify (duplicate)': 1,
  'order.get': 1,
  'shop.addToCart': 2,
  'pay.start': 2,
  'order.place (1 SKU)': 4,
  'order.place (2 SKUs)': 5,
};

function n(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The same signature check's median inside a notification over its median inside a verify-only request. */
function sameCheckRatio(c: NonNullable<BenchResult['signatureCheck']>): number {
  return c.notification.medianUs / c.verifyOnly.medianUs;
}

function ratio(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 10 ? n(v, 0) : v >= 0.1 ? n(v, 2) : n(v, 4);
}

function phaseCell(p: Phase): string {
  const errors = p.errors > 0 ? ` — ${p.errors} failed (${p.errorCodes.join(', ')})` : '';
  return `${n(p.perS, 1)}/s (p50 ${n(p.p50Ms, 1)} ms, p99 ${n(p.p99Ms, 1)} ms)${errors}`;
}

function metCell(met: (boolean | undefined)[] | undefined): string {
  if (met === undefined) return '';
  return met.map((m) => (m === undefined ? '—' : m ? '**met**' : '**missed**')).join(' / ');
}

function minBound(r: BenchResult): number {
  return Math.min(r.bounds.rsaVerifyPerS, r.bounds.aesGcmDecryptPerS, r.bounds.fsyncPerS);
}

/** Stack CPU per payment notification over that of a verify+decrypt-only request in the same runtime. */
function notifyVsVerifyOnly(r: BenchResult): number {
  return r.notifications.cpuMsPerOp / r.verifyOnly.cpuMsPerOp;
}

/** CPU of two RSA-2048 signatures at the run's per-CPU-second signing rate, measured at its start (ms). */
function twoMachineSignaturesMs(r: BenchResult): number {
  return 2000 / r.bounds.perCpuSecond.rsaSign;
}

/**
 * CPU of two RSA-2048 signatures in the stack process, between the checkout blocks (ms); the machine bound for a result
 * from before that was measured.
 */
function twoSignaturesMs(r: BenchResult): number {
  return r.checkoutSignatureMs === undefined ? twoMachineSignaturesMs(r) : 2 * r.checkoutSignatureMs;
}

/** Stack CPU per checkout (the simulator in its own process) over the CPU of its two merchant signatures. */
function checkoutVsSignatures(r: BenchResult): number {
  return r.checkouts.cpuMsPerOp / twoSignaturesMs(r);
}

function rows(runs: BenchResult[]): Row[] {
  const each = <T>(f: (r: BenchResult) => T): T[] => runs.map(f);
  const out: Row[] = [
    { label: '**Machine bounds** (one core, this run)', cells: each(() => '') },
    {
      label: 'RSA-2048 SHA256 signatures/s (per CPU-second)',
      cells: each((r) => `${n(r.bounds.rsaSignPerS)} (${n(r.bounds.perCpuSecond.rsaSign)})`),
    },
    {
      label: 'RSA-2048 SHA256 verifications/s (per CPU-second)',
      cells: each((r) => `${n(r.bounds.rsaVerifyPerS)} (${n(r.bounds.perCpuSecond.rsaVerify)})`),
    },
    {
      label: 'AES-256-GCM decryptions/s, 600 B (per CPU-second)',
      cells: each((r) => `${n(r.bounds.aesGcmDecryptPerS)} (${n(r.bounds.perCpuSecond.aesGcmDecrypt)})`),
    },
    { label: 'fsync’d appends/s', cells: each((r) => n(r.bounds.fsyncPerS)) },
    { label: '**Notifications**', cells: each(() => '') },
    { label: 'payment notifications applied', cells: each((r) => phaseCell(r.notifications)) },
    {
      label: '… ÷ fsync bound (context: the local store does not fsync)',
      cells: each((r) => ratio(r.notifications.perS / r.bounds.fsyncPerS)),
    },
    {
      label: '… ÷ min(RSA verify, AES-GCM, fsync)',
      cells: each((r) => ratio(r.notifications.perS / minBound(r))),
    },
    {
      label: 'stack CPU per notification (share of a core the stack got)',
      cells: each((r) => `${n(r.notifications.cpuMsPerOp, 2)} ms (${n(r.notifications.cpuShare * 100)} %)`),
    },
    { label: 'verify+decrypt-only endpoint (writes nothing)', cells: each((r) => phaseCell(r.verifyOnly)) },
    {
      label: '… notifications ÷ verify-only endpoint',
      cells: each((r) => ratio(r.notifications.perS / r.verifyOnly.perS)),
    },
    {
      label: 'stack CPU per notification ÷ per verify-only request',
      cells: each(
        (r) =>
          `${ratio(notifyVsVerifyOnly(r))} (${n(r.notifications.cpuMsPerOp, 2)} ms vs ${n(r.verifyOnly.cpuMsPerOp, 2)} ms)`,
      ),
      target: `≤ ${NOTIFY_CPU_VS_VERIFY_ONLY}`,
      met: each((r) => notifyVsVerifyOnly(r) <= NOTIFY_CPU_VS_VERIFY_ONLY),
    },
    {
      label:
        '… the same signature check timed in place (median): in a notification ÷ in a verify-only request',
      cells: each((r) => {
        const c = r.signatureCheck;
        if (c === undefined) return 'n/a';
        return `${ratio(sameCheckRatio(c))} (${n(c.notification.medianUs, 1)} µs vs ${n(c.verifyOnly.medianUs, 1)} µs; ${c.notification.calls} / ${c.verifyOnly.calls} checks)`;
      }),
    },
    {
      label: 'stack CPU per notification ÷ one verify + one decrypt (bounds)',
      cells: each((r) => {
        const core = 1000 / r.bounds.perCpuSecond.rsaVerify + 1000 / r.bounds.perCpuSecond.aesGcmDecrypt;
        return `${ratio(r.notifications.cpuMsPerOp / core)} (${n(core, 3)} ms)`;
      }),
    },
    { label: 'duplicate notifications answered', cells: each((r) => phaseCell(r.duplicates)) },
    { label: '**Checkouts** (order.checkout: the shopper’s one call)', cells: each(() => '') },
    {
      label: 'warm-up before it (not measured): CPU per checkout in each round, until it stops falling',
      cells: each((r) =>
        r.warmupCpu === undefined ? 'n/a' : `${r.warmupCpu.map((x) => `${n(x, 2)} ms`).join(' → ')}`,
      ),
    },
    { label: 'checkouts', cells: each((r) => phaseCell(r.checkouts)) },
    {
      label: '… ÷ RSA signatures/s (context)',
      cells: each((r) => ratio(r.checkouts.perS / r.bounds.rsaSignPerS)),
    },
    {
      label: 'stack CPU per checkout, simulator apart (share of a core the stack got)',
      cells: each((r) => `${n(r.checkouts.cpuMsPerOp, 2)} ms (${n(r.checkouts.cpuShare * 100)} %)`),
    },
    {
      label: '… ÷ CPU of its two RSA signatures (signed in the stack between its blocks)',
      cells: each((r) => `${ratio(checkoutVsSignatures(r))} (${n(twoSignaturesMs(r), 2)} ms)`),
      target: `≤ ${CHECKOUT_CPU_VS_SIGNATURES}`,
      met: each((r) => checkoutVsSignatures(r) <= CHECKOUT_CPU_VS_SIGNATURES),
    },
    {
      label: '… ÷ CPU of two RSA signatures at the machine bound (context)',
      cells: each(
        (r) =>
          `${ratio(r.checkouts.cpuMsPerOp / twoMachineSignaturesMs(r))} (${n(twoMachineSignaturesMs(r), 2)} ms)`,
      ),
    },
    {
      label: '… per CPU-second ÷ RSA signatures per CPU-second (context)',
      cells: each((r) => ratio(1000 / r.checkouts.cpuMsPerOp / r.bounds.perCpuSecond.rsaSign)),
    },
    {
      label: 'simulator CPU per checkout (WeChat’s side, its own process; context)',
      cells: each((r) => `${n(r.checkouts.simCpuMsPerOp, 2)} ms`),
    },
    { label: 'addToCart', cells: each((r) => phaseCell(r.addToCart)) },
    { label: '**Database round trips per operation** (most common)', cells: each(() => '') },
  ];
  for (const [op, max] of Object.entries(ROUND_TRIP_TARGETS)) {
    out.push({
      label: op,
      cells: each((r) => n(r.roundTrips[op] ?? Number.NaN)),
      target: `≤ ${max}`,
      met: each((r) => {
        const v = r.roundTrips[op];
        return v === undefined || !Number.isFinite(v) ? undefined : v <= max;
      }),
    });
  }
  out.push(...bigDayRows(runs, { n, ratio }));
  out.push(...latencyRows(runs));
  out.push({ label: '**Cloud function bundles** (wx-server-sdk excluded)', cells: each(() => '') });
  out.push({
    label: 'wx-server-sdk’s own load (require + init)',
    cells: each((r) => (r.sdk ? `${n(r.sdk.loadMs, 1)} ms` : 'not installed (see notes)')),
  });
  for (const b of runs[0]?.bundles ?? []) {
    out.push({
      label: `${b.name}/index.js`,
      cells: each((r) => {
        const x = r.bundles.find((y) => y.name === b.name);
        return x ? `${n(x.bytes / 1000, 1)} KB; +${n(x.loadMs, 1)} ms (CPU ${n(x.loadCpuMs, 1)} ms)` : 'n/a';
      }),
      target: `≤ 300 KB; ≤ ${MAX_BUNDLE_LOAD_MS} ms (CPU)`,
      met: each((r) => {
        const x = r.bundles.find((y) => y.name === b.name);
        return x ? x.bytes <= MAX_BUNDLE_BYTES && x.loadCpuMs <= MAX_BUNDLE_LOAD_MS : undefined;
      }),
    });
  }
  out.push({ label: '**Mini program**', cells: each(() => '') });
  out.push({
    label: 'main package (reachable from app.json)',
    cells: each(
      (r) =>
        `${n(r.miniprogram.bytes / 1024, 1)} KiB in ${r.miniprogram.files} files (npm components ${n(r.miniprogram.npmBytes / 1024, 1)} KiB)`,
    ),
    target: '≤ 2 MiB (WeChat)',
    met: each((r) => r.miniprogram.bytes <= r.miniprogram.limitBytes),
  });
  for (const s of runs[0]?.miniprogram.subpackages ?? []) {
    out.push({
      label: `subpackage ${s.root}`,
      cells: each((r) => {
        const x = r.miniprogram.subpackages.find((y) => y.root === s.root);
        return x ? `${n(x.bytes / 1024, 1)} KiB in ${x.files} files` : 'n/a';
      }),
    });
  }
  return out;
}

function autoNotes(runs: BenchResult[]): string[] {
  const notes: string[] = [];
  const any = (f: (r: BenchResult) => boolean) => runs.some(f);
  notes.push(...bigDayNotes(runs));
  for (const [op, max] of Object.entries(ROUND_TRIP_TARGETS)) {
    if (any((r) => (r.roundTrips[op] ?? 0) > max))
      notes.push(
        `${op}: ${runs.map((r) => r.roundTrips[op]).join(' / ')} round trips against a target of ${max}.`,
      );
  }
  if (any((r) => notifyVsVerifyOnly(r) > NOTIFY_CPU_VS_VERIFY_ONLY))
    notes.push(
      `Stack CPU per notification above ${NOTIFY_CPU_VS_VERIFY_ONLY} × a verify+decrypt-only request (${runs.map((r) => ratio(notifyVsVerifyOnly(r))).join(' / ')}), measured warm and in alternating blocks: both pass through the same gateway, function runtime and signature check, and the excess (${runs.map((r) => `${n(r.notifications.cpuMsPerOp - r.verifyOnly.cpuMsPerOp, 2)} ms`).join(' / ')}) has two parts. One is the notification's own work: the order read, the compare-and-set that records the payment (14 indexes, 8 of them re-keyed by a payment; a 2.6 KB datafile line), the payment service around them. Ablations on this code (2026-12-07, scratch builds in a loop of this phase, each against the unchanged code in the same minutes): the commit reduced to replacing the document in memory gave 1.53–1.84 against 1.92–2.27; the whole update round trip skipped gave 1.37–1.50 against 1.91–2.00. The other is the same code running slower beside that work: the signature check, timed in place, takes ${runs.map((r) => (r.signatureCheck ? `${ratio(sameCheckRatio(r.signatureCheck))} ×` : 'n/a')).join(' / ')} as long inside a notification as inside a verify-only request (same bodies, same key, the median call), and in Linux sampling profiles of both phases (perf, 2026-12-07, three runs) the same RSA verify took 1.6–2.0 × the samples per request (preempted calls included) and node's HTTP parser 1.4 × on identical bytes, with exactly one verify and one decryption per request in both (counted). This machine's VM exposes no hardware counters to split instructions from stalls. So 1.5 × needs the read and the write to cost about nothing and to leave the caches as they found them; no one lever in the local database is worth more than a few hundredths of the ratio.`,
    );
  if (any((r) => checkoutVsSignatures(r) > CHECKOUT_CPU_VS_SIGNATURES))
    notes.push(
      `Stack CPU per checkout above ${CHECKOUT_CPU_VS_SIGNATURES} × its two RSA signatures (${runs.map((r) => ratio(checkoutVsSignatures(r))).join(' / ')}; the simulator's own ${runs.map((r) => `${n(r.checkouts.simCpuMsPerOp, 2)} ms`).join(' / ')} not counted): order.checkout is one invocation with five database round trips (cart read, stock decrement, order insert, prepay save, cart write), of which the insert adds a 3 KB document to 14 indexes (29 keys) and each write appends the whole document's line, plus the HTTP exchange with WeChat (request, answer, its signature check). Until 2026-12-07 every checkout's decrement also rewrote a SKU document that grew by one hold per order until the close timer's sweep (8–12 ms per checkout after 2,400 unpaid orders); the decrement now forgets the holds of orders already written. Its two signatures are measured in the stack between the checkout blocks; in a sampling profile of the phase (2026-12-07) they are 20–25 % of its CPU, the local database and its SDK stand-in about 20 % over five round trips (the datafile appends 5 %, the rest 1–2 % per step), node's HTTP code for the two requests (the shopper's and WeChat's) most of the rest. Next levers: fewer round trips in the checkout's chain (each write is an index upkeep and a line), then the HTTP exchanges' own allocations.`,
    );
  if (any((r) => r.bundles.some((b) => b.loadMs > MAX_BUNDLE_LOAD_MS && b.loadCpuMs <= MAX_BUNDLE_LOAD_MS)))
    notes.push(
      'Bundle load is judged on CPU time: where the wall time is over 25 ms and the CPU time under it, the loading process waited for a core (see the load averages) — on an idle machine wall and CPU time of a synchronous require are about equal.',
    );
  if (any((r) => r.bundles.some((b) => b.loadCpuMs > MAX_BUNDLE_LOAD_MS)))
    notes.push('Bundle load: a bundle needs more than 25 ms of CPU to load (beyond wx-server-sdk).');
  if (any((r) => r.sdk === null))
    notes.push(
      'wx-server-sdk is not a dependency of this repository (the cloud installs it), so its own load time is measured only when WX_SERVER_SDK_DIR names a folder where `npm install --prefix <dir> wx-server-sdk@4.0.2` was run; bundle load times are always measured beyond it (the SDK, or a stand-in that loads the same Node built-ins, is loaded first).',
    );
  notes.push(...latencyNotes(runs));
  if (any((r) => r.notifications.errors > 0 || r.checkouts.errors > 0 || r.duplicates.errors > 0))
    notes.push(
      'Some operations failed during the timed phases (codes in the table); their time still counts.',
    );
  return notes;
}

/** Renders the markdown; `keptNotes` is the hand-written section of the previous file (between the markers). */
export function renderReport(runs: BenchResult[], keptNotes: string, command: string): string {
  const first = runs[0];
  if (first === undefined) throw new Error('no bench run to report');
  const m = first.machine;
  const header = ['figure', ...runs.map((_, i) => `run ${i + 1}`), 'target', 'met?'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows(runs).map((r) => `| ${[r.label, ...r.cells, r.target ?? '', metCell(r.met)].join(' | ')} |`),
  ];
  const loads = runs
    .map(
      (r, i) =>
        `run ${i + 1} started ${r.startedAt}, took ${n(r.seconds, 0)} s; load average (1/5/15 min) ${r.machine.loadAvgStart.map((x) => n(x, 1)).join(' / ')} at the start, ${r.machine.loadAvgEnd.map((x) => n(x, 1)).join(' / ')} at the end`,
    )
    .map((l) => `- ${l}`);
  const notes = autoNotes(runs).map((x) => `- ${x}`);
  return [
    '# Performance',
    '',
    `Generated by \`${command}\` — do not edit the table by hand; edit the notes between the markers at the end.`,
    'Every ratio is computed within one run: against the machine bounds measured at the start of that run, except the',
    'two CPU targets, whose baselines (the verify-only request, the two signatures) are measured in the stack beside them.',
    '',
    '## Machine',
    '',
    `- ${m.cpus} × ${m.cpuModel}, ${n(m.memoryGiB, 1)} GiB memory, Node ${m.node}, ${m.os}`,
    ...loads,
    '- The machine is shared with other work (a load average above the core count means processes waited for a CPU):',
    '  absolute figures move between runs; compare ratios within a run.',
    '',
    '## How it is measured',
    '',
    '- **Bounds**: single-threaded loops for the run’s bound time each: RSA-2048 SHA256 sign and verify with parsed',
    '  KeyObjects, AES-256-GCM decryption of a 600-byte resource, 256-byte appends each followed by fsync in the temp',
    '  folder’s file system (where the stack keeps its data). The local database itself appends without fsync',
    '  (durable against the process dying, not against power loss: devcloud/README.md), so the fsync bound is the',
    '  bound a durable store would have, not one this stack pays; the per-CPU-second rates are the same loops divided',
    '  by the CPU time they got, which does not shrink when other work shares the machine.',
    '- **Stack**: the local cloud running the built bundles in a child process (devcloud/harness/child.ts, set up by',
    '  scripts/bench/lib/stack-setup.ts) and the WeChat Pay simulator in another (devcloud/harness/sim-child.ts), so the',
    '  stack’s CPU is the shop’s and the local runtime’s alone: the simulator’s verify-and-sign work (WeChat’s, on',
    '  WeChat’s machines) is reported apart as context. The bench drives the stack over HTTP with keep-alive connections',
    '  from this process: the shop’s own payNotify endpoint and a second local cloud (same process) serving a',
    '  verify+decrypt-only function built from scripts/bench/fixtures/verify-only.ts (the adapter’s verifyNotification,',
    '  nothing written).',
    '- **Warm-up**: before the checkout and notification phases, rounds of 400 shoppers (not measured) add to the',
    '  cart, check out, are paid, and their notifications are delivered twice and sent to the verify-only endpoint,',
    `  until the CPU per checkout stops falling: ${WARM_UP.patience} rounds in a row that do not beat the best round so far by ${100 * WARM_UP.gain} %`,
    `  (at least ${WARM_UP.minRounds} rounds, at most ${WARM_UP.maxRounds}; the series is in the table). Every measured figure is a warm instance’s (V8`,
    '  keeps optimising a function over its first thousands of calls, in steps with flat stretches between them, on',
    '  threads whose CPU counts as the process’s), as on the platform, where an instance serves many calls; the',
    '  cold-function rows are the first calls.',
    '- **Notifications**: the payer pays each order in the simulator with its own deliveries dropped; the bench signs',
    '  the simulator’s notification bodies with the platform key before the clock starts and POSTs them at the run’s',
    '  concurrency, in blocks of 50 alternating with the same 50 bodies sent to the verify-only endpoint (so both are',
    '  measured in the same state of the process), then again (duplicates). CPU per operation is the stack process’s',
    '  CPU time (user + system) over the phase’s blocks divided by the operations; the notification target compares it',
    '  with the verify-only request’s (same gateway, same function runtime), so what is left is the notification’s own',
    '  work.',
    '- **Checkouts**: order.checkout per shopper (the one call of the shopper’s 去支付: the price the page showed',
    '  confirmed, the order placed, the prepay asked, the payment parameters answered) at the run’s concurrency; the',
    '  target compares the stack’s CPU per checkout with the CPU of two RSA-2048 signatures (the request to WeChat and',
    '  the paySign). The checkouts run in blocks of 50; after each block the stack process makes two signatures per',
    '  checkout of the block on its main thread and reports that thread’s CPU time for them (Linux per-thread time), so',
    '  the bound is measured in the same process and the same minutes as the checkouts (the machine bound measured at',
    '  the start of the run is kept as a context row). Checkouts ÷ signatures/s and notifications ÷ the fsync',
    '  bound are context: the first mixes wall time with a CPU bound, the second is a bound of a store that fsyncs,',
    '  which this one does not.',
    '- **Round trips**: the gateway’s x-devcloud-db-ops header of each invocation (the most common value over the',
    '  samples). A notification’s row is a first delivery; a duplicate is the same delivery again.',
    '- **Flash sale**: every shopper has one of three SKUs in the cart; the stock is set, then all place at once (the',
    '  requests share a bounded pool of connections; the wait for one counts in the answer time). Every fifth winner',
    '  cancels as soon as it has its order; then all the shoppers refused for stock place again, at once. Accounted',
    '  from the database afterwards: live orders’ quantity + stock left + holds of no order = the stock there was.',
    '- **Growth**: two stacks of its own, a small one with one shopper’s past orders and a large one with the same',
    '  plus everyone else’s (cloned from a real paid order, written by the stack process in chunks through the',
    '  database’s own transactions, all before any measurement); checkouts (order.checkout), their notifications,',
    '  order.get and that shopper’s first listMine page are measured on both, after unmeasured warm-up rounds on each',
    '  until its CPU per checkout stops falling (the main phase’s rule; the warm-up’s orders are then removed, so each',
    '  size is what the table says), in alternating rounds (small then large, then large then small, …): a ±10 %',
    '  target is inside the drift of a shared machine between two points measured minutes apart, and alternation puts',
    '  both sizes under the same load. Each size’s figures are the sums over its blocks (CPU per operation: all its',
    '  CPU ÷ all its operations; percentiles of all its latencies); each block starts from a heap just collected (a',
    '  full garbage collection first: the bulk seeding’s garbage is the bench’s, not the shop’s) — the heap row is',
    '  what the process keeps before the size’s first block.',
    '- **Reconcile**: a real order, payment and refund are cloned into the datafiles of a stopped stack (the local',
    '  database’s and the simulator’s journal) for one Beijing day, with planted mismatches; the stack starts again',
    '  on them, the clock goes to 10:30 the next day and the reconcile timer is fired through the gateway (under its',
    '  config.json time limit) until the day’s report is stored. Every bill row must be matched or be a discrepancy.',
    '- **Bundles**: file size of cloudfunctions/<name>/index.js; load time is the median over fresh Node processes of',
    '  `require(bundle)` after wx-server-sdk is already loaded, the collector run before the clock starts. Without a',
    '  real wx-server-sdk the stand-in first loads the Node built-ins the real one’s require + init loads (its HTTP, TLS,',
    '  HTTP/2 and zlib clients: scripts/bench/lib/bundles.ts), which a bundle finds loaded on the platform; with',
    '  wx-server-sdk 4.0.2 installed both ways gave the same figures within 1.5 ms per bundle (2026-12-07).',
    '- **Mini program**: files reachable from app.json (main pages, their components, imports, styles, templates,',
    '  images referenced by absolute path, tabBar icons), subpackage roots excluded, npm components counted only when',
    '  used; TypeScript counted at source size as a stand-in for the compiled JavaScript.',
    ...latencyMethod(runs),
    '',
    '## Results',
    '',
    ...lines,
    '',
    '## Notes',
    '',
    ...(notes.length > 0 ? notes : ['- Every target was met in every run.']),
    '',
    NOTES_BEGIN,
    keptNotes.trim() === '' ? '' : keptNotes.trim(),
    NOTES_END,
    '',
  ].join('\n');
}

/** The hand-written notes of an existing report (empty when there are none). */
export function keptNotesOf(existing: string): string {
  const a = existing.indexOf(NOTES_BEGIN);
  const b = existing.indexOf(NOTES_END);
  if (a < 0 || b < a) return '';
  return existing.slice(a + NOTES_BEGIN.length, b).trim();
}
