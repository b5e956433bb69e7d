/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests. Stricter than Prometheus
 * itself: every family must have `# HELP` then `# TYPE` before its samples, appear once, have no duplicate
 * label sets; no blank lines, no other comments, no timestamps; the text must end with a line feed.
 * Throws an Error naming the line on any violation.
 */

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: ParsedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\\\\\|\\\\n)*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(text: string, where: string): number {
  if (!VALUE.test(text)) throw new Error(`${where}: bad sample value ${JSON.stringify(text)}`);
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Parses `name="value",...` (the text between the braces). */
function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) throw new Error(`${where}: bad label name at ${JSON.stringify(text.slice(i))}`);
    const name = nameMatch[0];
    if (name.startsWith('__')) throw new Error(`${where}: reserved label name ${name}`);
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: label ${name} repeated`);
    i += name.length;
    if (text.slice(i, i + 2) !== '="') throw new Error(`${where}: expected =" after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw line feed in label ${name}`);
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${next ?? ''} in label ${name}`);
        i += 2;
        continue;
      }
      value += c;
      i += 1;
    }
    i += 1;
    labels[name] = value;
    if (i === text.length) break;
    if (text[i] !== ',' || i + 1 === text.length) throw new Error(`${where}: expected , between labels`);
    i += 1;
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  if (text.includes('\r')) throw new Error('carriage return in the exposition');
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | undefined;
  let typed = false;
  const seenLabelSets = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    const help = HELP_LINE.exec(line);
    if (help) {
      const name = help[1]!;
      if (families.has(name)) throw new Error(`${where}: family ${name} appears twice`);
      current = { name, help: unescapeHelp(help[2]!), type: 'untyped', samples: [] };
      families.set(name, current);
      typed = false;
      seenLabelSets.clear();
      return;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      if (!current || current.name !== type[1] || typed)
        throw new Error(`${where}: TYPE must follow its HELP`);
      current.type = type[2] as ParsedFamily['type'];
      typed = true;
      return;
    }
    if (line.startsWith('#') || line.trim() === '')
      throw new Error(`${where}: unexpected comment or blank line`);
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`${where}: not a sample line`);
    if (!current || !typed) throw new Error(`${where}: sample before HELP and TYPE`);
    if (sample[1] !== current.name)
      throw new Error(`${where}: sample ${sample[1]} inside family ${current.name}`);
    const labels = sample[2] === undefined ? {} : parseLabels(sample[2], where);
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    if (seenLabelSets.has(key)) throw new Error(`${where}: duplicate label set`);
    seenLabelSets.add(key);
    current.samples.push({ labels, value: parseValue(sample[3]!, where) });
  });
  return families;
}

/** The value of the sample of `family` whose labels include `labels`, or undefined. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
): number | undefined {
  return families
    .get(family)
    ?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
