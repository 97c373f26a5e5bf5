// A mocha reporter that appends one JSON line per event to a file as soon as it happens, with a
// synchronous write: when the code under test ends the process (process.exit, an endless loop
// killed by the grader, running out of memory), every result before it is already on disk and
// the grader knows which test was running.
'use strict';
const { appendFileSync } = require('node:fs');
const Mocha = require('mocha');

const { EVENT_TEST_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_RUN_END, EVENT_HOOK_BEGIN } = Mocha.Runner.constants;

function describeError(err) {
  if (err instanceof Error) return String(err.message || err.name).split('\n').slice(0, 6).join('\n');
  // Mocha wraps a thrown non-Error; keep what was thrown readable.
  try {
    return `threw a non-Error value: ${JSON.stringify(err)}`;
  } catch {
    return 'threw a non-Error value';
  }
}

function path(test) {
  return test.titlePath();
}

class StreamReporter {
  constructor(runner, options) {
    const out = options.reporterOptions && options.reporterOptions.out;
    if (!out) throw new Error('StreamReporter needs --reporter-option out=<file>');
    const write = (record) => appendFileSync(out, JSON.stringify(record) + '\n');
    runner.on(EVENT_TEST_BEGIN, (test) => write({ event: 'begin', path: path(test) }));
    runner.on(EVENT_HOOK_BEGIN, (hook) => write({ event: 'hook', title: hook.title }));
    runner.on(EVENT_TEST_PASS, (test) => write({ event: 'pass', path: path(test) }));
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      // A failing hook fails the tests under it: record them as failed with the hook's message.
      const tests = test.type === 'hook' && test.parent ? allTests(test.parent) : [test];
      for (const t of tests) write({ event: 'fail', path: path(t), message: describeError(err), hook: test.type === 'hook' });
    });
    runner.once(EVENT_RUN_END, () => write({ event: 'end' }));
  }
}

function allTests(suite) {
  return [...suite.tests, ...suite.suites.flatMap(allTests)];
}

module.exports = StreamReporter;
