import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Builds dist/ once before any test file runs: the example app and the tarball test load the built
 * package, and building once here avoids two test files rebuilding (and cleaning) dist/ at the same time.
 */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: 'inherit',
  });
}
