// Aggregation and the tables: medians over rounds, ratios within a round, the issue's targets.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The bare Express run measured next to `run` (see run.mjs): `express` (sent no credential), or `express-same` (sent
 * the same requests as the case, which it does not read); undefined when there is none.
 */
function bareOf(runs, run, bare = 'express') {
  return runs.find((r) => r.name === bare && r.pair === run.pair && r.ok);
}

/** `metric(run)` relative to the bare Express run next to it. */
function normalised(runs, run, metric, bare = 'express') {
  const base = bareOf(runs, run, bare);
  return base ? metric(run) / metric(base) : Number.NaN;
}

const BARES = new Set(['express', 'express-same']);

/**
 * Median over rounds of `metric(case) / metric(baseline)`. Against bare Express, each run is paired with the bare
 * Express run measured next to it; between two other cases, their ratios to their own bare Express runs are
 * compared within a round.
 */
export function pairedRatio(runs, name, baseline, metric = (r) => r.requestsPerSecond) {
  const ratios = [];
  for (const run of runs.filter((r) => r.name === name && r.ok)) {
    if (BARES.has(baseline)) {
      ratios.push(normalised(runs, run, metric, baseline));
      continue;
    }
    const base = runs.find((r) => r.name === baseline && r.round === run.round && r.ok);
    if (base) ratios.push(normalised(runs, run, metric) / normalised(runs, base, metric));
  }
  return median(ratios);
}

/** Median over rounds of `metric(case) - metric(bare Express next to it)`. */
export function pairedDifference(runs, name, metric) {
  const diffs = [];
  for (const run of runs.filter((r) => r.name === name && r.ok)) {
    const base = bareOf(runs, run);
    if (base) diffs.push(metric(run) - metric(base));
  }
  return median(diffs);
}

/** Requests per second of server CPU: what the case would serve with a whole core to itself. */
const perCpu = (r) => 1 / r.cpuMicrosPerRequest;

/** One summary row per case: medians over its successful rounds. */
export function summarise(cases, runs) {
  return cases.map((c) => {
    const mine = runs.filter((r) => r.name === c.name);
    const good = mine.filter((r) => r.ok);
    return {
      name: c.name,
      label: c.label,
      rounds: good.length,
      failed: mine.length - good.length,
      requestsPerSecond: median(good.map((r) => r.requestsPerSecond)),
      p50: median(good.map((r) => r.latencyMs.p50)),
      p99: median(good.map((r) => r.latencyMs.p99)),
      cpuMicrosPerRequest: median(good.map((r) => r.cpuMicrosPerRequest)),
      gcMsPer10k: median(good.map((r) => r.gcMsPer10k)),
      serverCpuPercent: median(good.map((r) => r.serverCpuPercent)),
      loadCpuPercent: median(good.map((r) => r.loadCpuPercent)),
      vsBare: pairedRatio(runs, c.name, 'express'),
      vsBareByCpu: pairedRatio(runs, c.name, 'express', perCpu),
      vsSameByCpu: c.name === 'express-same' ? Number.NaN : pairedRatio(runs, c.name, 'express-same', perCpu),
      notes: [...new Set(mine.flatMap((r) => r.notes ?? []))],
    };
  });
}

const x = (v) => (Number.isFinite(v) ? `${v.toFixed(3)}×` : 'n/a');

/**
 * The targets of issue #18 (and, for reference, issue #8's cold-token target): `{ target, throughput, cpu, pass,
 * passCpu }` rows. Each ratio is given by req/s and by CPU time per request (the same ratio if each server had a
 * whole core to itself, steadier on a shared machine); the targets are judged on CPU per request. The added p99 is
 * judged only in a run with one connection (`--connections 1`): with more, p99 is queueing behind a busy core.
 */
export function targets(runs, { connections = 50 } = {}) {
  const rps = (r) => r.requestsPerSecond;
  const p99 = (r) => r.latencyMs.p99;
  const ratio = (name, base, min) => {
    const value = pairedRatio(runs, name, base, rps);
    const cpu = pairedRatio(runs, name, base, perCpu);
    const same = base === 'express' ? pairedRatio(runs, name, 'express-same', perCpu) : Number.NaN;
    return {
      throughput: x(value),
      cpu: x(cpu),
      same: Number.isFinite(same) ? x(same) : '',
      passSame: Number.isFinite(same) ? same >= min : undefined,
      pass: Number.isFinite(value) ? value >= min : undefined,
      passCpu: Number.isFinite(cpu) ? cpu >= min : undefined,
    };
  };
  const within = (name, base, tolerance) => {
    const value = pairedRatio(runs, name, base, rps);
    const cpu = pairedRatio(runs, name, base, perCpu);
    return {
      throughput: x(value),
      cpu: x(cpu),
      pass: Number.isFinite(value) ? Math.abs(value - 1) <= tolerance : undefined,
      passCpu: Number.isFinite(cpu) ? Math.abs(cpu - 1) <= tolerance : undefined,
    };
  };
  const added = (name) => {
    const value = pairedDifference(runs, name, p99);
    const judged = connections === 1 && Number.isFinite(value);
    return {
      throughput: Number.isFinite(value)
        ? `${value.toFixed(3)} ms${connections === 1 ? '' : ` (at ${connections} connections: queueing, not judged)`}`
        : 'n/a',
      cpu: '',
      pass: judged ? value <= 0.2 : undefined,
    };
  };
  return [
    {
      target: 'provider warm, 1 token ≥ 0.95× bare Express',
      ...ratio('bridge-provider-warm', 'express', 0.95),
    },
    {
      target: 'provider warm, 10,000 users ≥ 0.95× bare Express',
      ...ratio('bridge-provider-warm-10k', 'express', 0.95),
    },
    { target: 'legacy MemoryStore ≥ 0.90× bare Express', ...ratio('bridge-legacy-memory', 'express', 0.9) },
    { target: 'mixed ≥ 0.90× bare Express', ...ratio('bridge-mixed', 'express', 0.9) },
    {
      target: 'legacy connect-redis ≥ 1.5× express-session + connect-redis',
      ...ratio('bridge-legacy-redis', 'session-redis', 1.5),
    },
    {
      target: 'stats on vs off within 3 % (legacy MemoryStore)',
      ...within('bridge-legacy-memory', 'bridge-legacy-memory-nostats', 0.03),
    },
    {
      target: 'stats on vs off within 3 % (provider warm)',
      ...within('bridge-provider-warm', 'bridge-provider-warm-nostats', 0.03),
    },
    { target: 'added p99 ≤ 0.2 ms at 1 connection (provider warm)', ...added('bridge-provider-warm') },
    { target: 'added p99 ≤ 0.2 ms at 1 connection (legacy MemoryStore)', ...added('bridge-legacy-memory') },
    { target: 'added p99 ≤ 0.2 ms at 1 connection (mixed)', ...added('bridge-mixed') },
    {
      target: '(issue #8) provider cold ≥ 1.0× hand-written jose',
      ...ratio('bridge-provider-cold', 'jose', 1.0),
    },
    // Not a target: the same app on both sides of a pair, so how far it reads from 1.000× is the harness's own bias
    // and spread in this run, the resolution of every ratio above.
    {
      target: 'harness check (no target): bare Express against itself, 1.000× expected',
      throughput: x(pairedRatio(runs, 'express-control', 'express', rps)),
      cpu: x(pairedRatio(runs, 'express-control', 'express', perCpu)),
    },
  ];
}

const fmt = (value, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export function markdownTable(rows) {
  // The "same requests" column only when the run had those servers (`--same`).
  const same = rows.some((r) => Number.isFinite(r.vsSameByCpu));
  const lines = [
    `| Case | req/s | × bare | p50 ms | p99 ms | server CPU µs/req | × bare by CPU |${same ? ' × bare, same requests, by CPU |' : ''} GC ms per 10k req | server core use | load gen CPU | rounds |`,
    `|---|---:|---:|---:|---:|---:|---:|${same ? '---:|' : ''}---:|---:|---:|---:|`,
  ];
  for (const r of rows) {
    const failed = r.failed ? ` (${r.failed} FAILED)` : '';
    const notes = r.notes.length ? ` (${r.notes.join('; ')})` : '';
    const sameCell = same ? ` ${Number.isFinite(r.vsSameByCpu) ? fmt(r.vsSameByCpu, 3) : ''} |` : '';
    lines.push(
      `| ${r.label}${notes} | ${fmt(r.requestsPerSecond)} | ${fmt(r.vsBare, 3)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuMicrosPerRequest, 1)} | ${fmt(r.vsBareByCpu, 3)} |${sameCell} ${fmt(r.gcMsPer10k, 1)} | ${fmt(r.serverCpuPercent)} % | ${fmt(r.loadCpuPercent)} % | ${r.rounds}${failed} |`,
    );
  }
  return lines.join('\n');
}

export function markdownTargets(rows) {
  const mark = (pass) => (pass === undefined ? '' : pass ? ' ✓' : ' ✗');
  const same = rows.some((t) => t.same);
  const lines = [
    `| Target | by req/s | by CPU per request |${same ? ' by CPU, against bare Express sent the same requests |' : ''}`,
    `|---|---:|---:|${same ? '---:|' : ''}`,
  ];
  for (const t of rows) {
    // Ratios are judged by CPU per request; the req/s column is for reference (no mark).
    const judged = t.cpu ? '' : mark(t.pass);
    const sameCell = same ? ` ${t.same ? `${t.same}${mark(t.passSame)}` : ''} |` : '';
    lines.push(
      `| ${t.target} | ${t.throughput}${judged} | ${t.cpu}${t.cpu ? mark(t.passCpu) : ''} |${sameCell}`,
    );
  }
  return lines.join('\n');
}
