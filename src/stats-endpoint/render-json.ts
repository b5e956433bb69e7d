import type { MigrationReport } from '../stats/report-types.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The JSON representation: the `MigrationReport` as is (its schema is versioned by `schemaVersion`). */
export function renderJson(report: MigrationReport): string {
  return JSON.stringify(report);
}
