import { describe, expect, it } from 'vitest';
import { chooseFormat, negotiateFormat, parseAccept } from '../helpers/internals.js';

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/html', 'html'],
    ['application/xhtml+xml', 'html'],
    ['text/plain', 'prometheus'],
    ['application/openmetrics-text; version=1.0.0', 'prometheus'],
    ['text/*', 'html'],
    ['text/html;q=0.2, text/plain;q=0.9', 'prometheus'],
    ['text/html, application/json', 'html'],
    ['application/json, text/html', 'json'],
    ['text/*;q=0.5, text/html;q=0', 'prometheus'],
    ['text/html;q=0, */*;q=0.1', 'json'],
    ['image/png', 'json'],
    ['garbage;;;, ,', 'json'],
  ] as const)('Accept %j gives %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it('reads q values and ignores malformed ranges', () => {
    expect(parseAccept('text/html;level=1;q=0.4, nonsense, */*;q=2')).toEqual([
      { type: 'text', subtype: 'html', q: 0.4, index: 0 },
      { type: '*', subtype: '*', q: 0, index: 2 },
    ]);
  });
});

describe('chooseFormat', () => {
  it('lets ?format= win, case-insensitively, and refuses unknown or repeated values', () => {
    expect(chooseFormat('/stats?format=HTML', 'application/json')).toEqual({
      kind: 'format',
      format: 'html',
    });
    expect(chooseFormat('/stats?x=1&format=prometheus', undefined)).toEqual({
      kind: 'format',
      format: 'prometheus',
    });
    expect(chooseFormat('/stats', 'text/html')).toEqual({ kind: 'format', format: 'html' });
    expect(chooseFormat('/stats?format=csv', 'text/html')).toEqual({ kind: 'invalid' });
    expect(chooseFormat('/stats?format=json&format=json', undefined)).toEqual({ kind: 'invalid' });
  });
});
