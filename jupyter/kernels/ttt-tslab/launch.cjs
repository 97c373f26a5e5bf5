// Starts the project's own tslab with the project root as its working directory.
// Jupyter starts a kernel in the notebook's folder, but tslab compiles imported .ts files only
// under its working directory and resolves node_modules from there, so notebooks in
// notebooks/ could not import lib/ without this change of directory.
const fs = require('fs');
const path = require('path');

let dir = process.cwd();
while (!fs.existsSync(path.join(dir, 'node_modules', 'tslab', 'dist', 'main.js'))) {
  const up = path.dirname(dir);
  if (up === dir) {
    console.error(`ttt-tslab: no node_modules/tslab in ${process.cwd()} or above; run npm install in the ttt-speech folder`);
    process.exit(1);
  }
  dir = up;
}
process.chdir(dir);
process.env.TTT_SPEECH_ROOT = process.env.TTT_SPEECH_ROOT || dir;
require(path.join(dir, 'node_modules', 'tslab', 'dist', 'main.js')).startKernel({ configPath: process.argv[2] });
