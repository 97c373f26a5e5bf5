// Root hooks for a graded run: once mocha has loaded the test files, and before any test runs,
// the copied tests (hidden ones included) are deleted from the work folder, so code under test
// cannot read them. Hidden tests also draw their inputs from a seed chosen at grading time.
'use strict';
const { rmSync } = require('node:fs');
const { join } = require('node:path');

exports.mochaHooks = {
  beforeAll() {
    rmSync(join(process.cwd(), 'tests'), { recursive: true, force: true });
  },
};
