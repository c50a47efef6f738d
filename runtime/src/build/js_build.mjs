// charmbox's JavaScript charm build (runtime/src/build/js.rs runs it with
// node from the directory where componentize-js is installed):
//   node js_build.mjs <entry.js> <wit dir> <out.wasm>
import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';

const [entry, wit, out] = process.argv.slice(2);
const { component } = await componentize({
  sourcePath: entry,
  witPath: wit,
  worldName: 'charm',
  // The charm reaches the world only: no WASI randomness, stdio, clocks or HTTP.
  disableFeatures: ['random', 'stdio', 'clocks', 'http', 'fetch-event'],
});
await writeFile(out, component);
