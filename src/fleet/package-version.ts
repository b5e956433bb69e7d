/** The version this build reports in its heartbeat (kept equal to package.json by test/fleet/registry.test.ts). */
export const PACKAGE_VERSION = '0.1.0';
