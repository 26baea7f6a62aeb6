// A reference runtime for compare_node.cmake: runs a WASI preview 1 command
// under Node's node:wasi with the given arguments, no environment and no
// preopens (what `deja run MODULE ARGS...` grants), passing stdio through.
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), wasi.getImportObject());
process.exitCode = wasi.start(instance);
