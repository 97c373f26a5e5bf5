import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { packageRoot } from '../lib/util/paths.js';

/** What dpdm found among the modules below a folder. */
interface ImportGraph {
  /** Modules analysed (paths relative to the folder). */
  modules: string[];
  /** Every import cycle, as the modules along it. */
  cycles: string[][];
  /** `module → request` for relative imports that resolve to no file (a cycle through them would go unseen). */
  unresolved: string[];
}

/**
 * The import graph of the TypeScript and JavaScript modules below `folder`, with imports
 * resolved as the project's tsconfig resolves them (`./x.js` names `./x.ts`). Type-only
 * imports count: a cycle of types still ties two modules together, and each one seen so far
 * was a concept in the wrong file.
 */
async function importGraph(folder: string): Promise<ImportGraph> {
  const tsconfig = join(packageRoot(), 'tsconfig.json');
  const tree = await parseDependencyTree('**/*.{ts,mts,mjs,js}', { cwd: folder, context: folder, tsconfig, transform: false });
  const unresolved = Object.values(tree).flatMap((deps) =>
    (deps ?? []).filter((dep) => dep.request.startsWith('.') && dep.id === null).map((dep) => `${dep.issuer} → ${dep.request}`),
  );
  return { modules: Object.keys(tree).filter((id) => !id.includes('node_modules')), cycles: parseCircular(tree), unresolved };
}

describe('import graph', () => {
  it('finds a cycle, type-only imports included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttt-imports-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport interface A { n: number }\nexport const a = b + 1;\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport const b = 1;\nexport type B = A;\n");
      writeFileSync(join(dir, 'c.ts'), "import { a } from './a.js';\nexport const c = a;\n");
      const graph = await importGraph(dir);
      assert.deepEqual(graph.unresolved, []);
      assert.equal(graph.cycles.length, 1);
      assert.deepEqual([...graph.cycles[0]].sort(), ['a.ts', 'b.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no cycle anywhere in lib/', async () => {
    const graph = await importGraph(join(packageRoot(), 'lib'));
    assert.ok(graph.modules.length > 100, `only ${graph.modules.length} modules were read`);
    assert.deepEqual(graph.unresolved, [], 'relative imports that resolve to no module');
    assert.deepEqual(graph.cycles.map((cycle) => cycle.join(' → ')), []);
  });
});
