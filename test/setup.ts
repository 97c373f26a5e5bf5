// Root set-up for mocha: every test runs on the backend the library would choose here, and
// progress bars stay out of the test report.
import { ensureBackend } from '../lib/backend/index.js';

process.env.TTT_SPEECH_PROGRESS ??= 'off';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await ensureBackend({ log: () => {} });
  },
};
