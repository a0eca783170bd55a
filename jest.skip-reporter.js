// @ts-check
/**
 * Says why tests were skipped, after Jest's summary: every todo test titled "SKIPPED: <reason>"
 * (test/support/engines.ts declares one for each suite it skips) is listed with its file. Jest's own summary
 * only counts skipped and todo tests, which made a missing engine easy to miss.
 *
 * Under CI=true a skipped suite fails the run (engines.ts already throws there; this is the backstop).
 * Plain CommonJS beside jest.config.js: Jest loads reporters with require, without transforming them.
 */
const { relative } = require('node:path');

const PREFIX = 'SKIPPED:';

class SkipReporter {
  /** @param {import('@jest/types').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    /** @type {Error | undefined} */
    this.error = undefined;
  }

  /** @param {unknown} _contexts @param {import('@jest/test-result').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const lines = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status === 'todo' && test.title.startsWith(PREFIX)) {
          const suite = test.ancestorTitles.join(' › ');
          lines.push(`  ${relative(this.rootDir, file.testFilePath)} — ${suite}\n    ${test.title}`);
        }
      }
    }
    if (lines.length === 0) return;
    const bar = '!'.repeat(80);
    process.stderr.write(
      `\n${bar}\nSuites skipped because an engine is missing:\n${lines.join('\n')}\n${bar}\n`,
    );
    if (process.env.CI === 'true') {
      this.error = new Error(
        `${lines.length} suite(s) skipped under CI=true: engines must be installed in CI`,
      );
    }
  }

  getLastError() {
    return this.error;
  }
}

module.exports = SkipReporter;
