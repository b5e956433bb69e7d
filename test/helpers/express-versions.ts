/**
 * Both Express majors, for `describe.each(expressVersions)`. Express 4 is installed under the npm alias
 * `express4` and ships no types; it is typed as Express 5's factory, whose surface the tests use.
 */
import { createRequire } from 'node:module';
import express5 from 'express';

export type ExpressFactory = typeof express5;

const require = createRequire(import.meta.url);
const express4 = require('express4') as ExpressFactory;

export const expressVersions: Array<[string, ExpressFactory]> = [
  ['express 4', express4],
  ['express 5', express5],
];
