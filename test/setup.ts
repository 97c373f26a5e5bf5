// Root set-up for mocha: every test runs on the backend the library would choose here.
import { ensureBackend } from '../lib/backend/index.js';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await ensureBackend();
  },
};
