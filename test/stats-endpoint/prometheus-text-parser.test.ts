import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

// The Prometheus assertions are only as good as this parser: it must refuse what Prometheus would not.
describe('the strict exposition parser used by the tests', () => {
  const ok = '# HELP a_total Help.\n# TYPE a_total counter\na_total{k="v"} 1\n';

  it('accepts a well-formed family', () => {
    expect(parsePrometheusText(ok).get('a_total')?.samples).toEqual([{ labels: { k: 'v' }, value: 1 }]);
  });

  it.each([
    ['no trailing line feed', ok.slice(0, -1)],
    ['a sample before HELP/TYPE', 'a 1\n'],
    ['TYPE without HELP', '# TYPE a gauge\na 1\n'],
    ['a sample of another family', '# HELP a A.\n# TYPE a gauge\nb 1\n'],
    ['a repeated family', `${ok}${ok}`],
    ['a duplicate label set', `${ok}a_total{k="v"} 2\n`],
    ['an unquoted label value', '# HELP a A.\n# TYPE a gauge\na{k=v} 1\n'],
    ['a bad escape', '# HELP a A.\n# TYPE a gauge\na{k="\\t"} 1\n'],
    ['a bad value', '# HELP a A.\n# TYPE a gauge\na 1,5\n'],
    ['a timestamp', '# HELP a A.\n# TYPE a gauge\na 1 1700000000\n'],
    ['a blank line', `${ok}\n`],
    ['an unknown type', '# HELP a A.\n# TYPE a meter\na 1\n'],
  ])('refuses %s', (_label, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
