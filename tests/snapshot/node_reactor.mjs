// Runs a WASI reactor under Node (node:wasi): _initialize (through
// wasi.initialize, when exported), then one export with no arguments.
// node node_reactor.mjs MODULE.wasm EXPORT
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv } from 'node:process';

const [file, name] = argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.initialize(instance);
instance.exports[name]();
