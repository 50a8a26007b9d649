// Copied to dist/load.cjs by scripts/build.js. Loads the CLI bundle (dist/cli.cjs) through vm.Script with V8's code
// cache (dist/cli.cjs.cache, written at build time), which skips most of the compile work on every start: Node 20
// has no module compile cache of its own. Both bin/run.js and oclif's explicit command target require this file,
// so the bundle is evaluated once per process.
'use strict'
const {readFileSync, writeFileSync} = require('node:fs')
const {createRequire} = require('node:module')
const {join} = require('node:path')
const vm = require('node:vm')

// The bundle's dynamic imports come here (see routeDynamicImports in scripts/build.js): import() works in this file.
globalThis.__prismImport = (specifier) => import(specifier)

const file = join(__dirname, 'cli.cjs')
const cacheFile = `${file}.cache`
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  cachedData = undefined
}
const source = readFileSync(file, 'utf8')
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: file,
  cachedData,
})
const bundle = {exports: {}}
script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, __dirname)

// The build runs a representative command with this set, so the cache also holds the functions that command compiled.
if (process.env.PRISM_WRITE_CODE_CACHE === '1') {
  process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()))
}

module.exports = bundle.exports
