// Aggregation and the tables: medians over rounds, ratios within a round, the targets.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median over rounds of `metric(case run) / metric(baseline run)`, pairing runs of the same round (both ran minutes
 * apart at most, on the same machine load).
 */
export function pairedRatio(runs, name, baseline, metric = (r) => r.requestsPerSecond) {
  const ratios = [];
  for (const run of runs.filter((r) => r.name === name && r.ok)) {
    const base = runs.find((r) => r.name === baseline && r.round === run.round && r.ok);
    if (base) ratios.push(metric(run) / metric(base));
  }
  return median(ratios);
}

/** Median over rounds of `metric(case) - metric(baseline)` within a round. */
export function pairedDifference(runs, name, baseline, metric) {
  const diffs = [];
  for (const run of runs.filter((r) => r.name === name && r.ok)) {
    const base = runs.find((r) => r.name === baseline && r.round === run.round && r.ok);
    if (base) diffs.push(metric(run) - metric(base));
  }
  return median(diffs);
}

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
      loadCpuPercent: median(good.map((r) => r.loadCpuPercent)),
      vsBare: pairedRatio(runs, c.name, 'express'),
      notes: [...new Set(mine.flatMap((r) => r.notes ?? []))],
    };
  });
}

/** The targets of issue #8: `{ target, figure, pass }` rows. */
export function targets(runs) {
  const rps = (r) => r.requestsPerSecond;
  const p99 = (r) => r.latencyMs.p99;
  const ratio = (name, base, min) => {
    const value = pairedRatio(runs, name, base, rps);
    return {
      value: Number.isFinite(value) ? `${value.toFixed(3)}×` : 'n/a',
      pass: Number.isFinite(value) ? value >= min : undefined,
    };
  };
  const within = (name, base, tolerance) => {
    const value = pairedRatio(runs, name, base, rps);
    return {
      value: Number.isFinite(value) ? `${value.toFixed(3)}× (${((value - 1) * 100).toFixed(1)} %)` : 'n/a',
      pass: Number.isFinite(value) ? Math.abs(value - 1) <= tolerance : undefined,
    };
  };
  const added = (name) => {
    const value = pairedDifference(runs, name, 'express', p99);
    return {
      value: Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a',
      pass: Number.isFinite(value) ? value <= 1 : undefined,
    };
  };
  return [
    { target: 'provider warm ≥ 0.95× bare Express', ...ratio('bridge-provider-warm', 'express', 0.95) },
    { target: 'provider cold ≥ 1.0× hand-written jose', ...ratio('bridge-provider-cold', 'jose', 1.0) },
    { target: 'legacy MemoryStore ≥ 0.95× bare Express', ...ratio('bridge-legacy-memory', 'express', 0.95) },
    {
      target: 'legacy connect-redis ≥ 1.5× express-session + connect-redis',
      ...ratio('bridge-legacy-redis', 'session-redis', 1.5),
    },
    { target: 'mixed ≥ 0.93× bare Express', ...ratio('bridge-mixed', 'express', 0.93) },
    {
      target: 'stats on vs off within 3 % (legacy MemoryStore)',
      ...within('bridge-legacy-memory', 'bridge-legacy-memory-nostats', 0.03),
    },
    {
      target: 'stats on vs off within 3 % (provider warm)',
      ...within('bridge-provider-warm', 'bridge-provider-warm-nostats', 0.03),
    },
    { target: 'added p99 ≤ 1 ms (provider warm − bare)', ...added('bridge-provider-warm') },
    { target: 'added p99 ≤ 1 ms (legacy MemoryStore − bare)', ...added('bridge-legacy-memory') },
    { target: 'added p99 ≤ 1 ms (mixed − bare)', ...added('bridge-mixed') },
  ];
}

const fmt = (value, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export function markdownTable(rows) {
  const lines = [
    '| Case | req/s (median) | × bare Express | p50 ms | p99 ms | server CPU µs/req | load gen CPU | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const failed = r.failed ? ` (${r.failed} FAILED)` : '';
    const notes = r.notes.length ? ` — ${r.notes.join('; ')}` : '';
    lines.push(
      `| ${r.label}${notes} | ${fmt(r.requestsPerSecond)} | ${fmt(r.vsBare, 3)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuMicrosPerRequest, 1)} | ${fmt(r.loadCpuPercent)} % | ${r.rounds}${failed} |`,
    );
  }
  return lines.join('\n');
}

export function markdownTargets(rows) {
  const lines = ['| Target (issue #8) | Today | Met |', '|---|---:|:---:|'];
  for (const t of rows)
    lines.push(`| ${t.target} | ${t.value} | ${t.pass === undefined ? 'n/a' : t.pass ? 'yes' : 'no'} |`);
  return lines.join('\n');
}
