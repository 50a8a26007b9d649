// Copied to dist/load.cjs by scripts/build.js. Loads the CLI bundle (dist/cli.cjs) through vm.Script with V8's code
// cache (dist/cli.cjs.cache, written at build time), which skips most of the compile work on every start: Node 20
// has no module compile cache of its own. Both bin/run.js and oclif's explicit command target require this file,
// so the bundle is evaluated once per process, and only when a command needs it: `validate` in its plain forms runs
// from dist/offline.cjs (src/cli/fast-validate.ts) without oclif. @grpc/grpc-js and dockerode are bundled the same way (dist/grpc.cjs,
// dist/docker.cjs), and loaded only when a command imports them: from node_modules grpc-js is ~200 files to resolve,
// read and compile on every call.
'use strict'
const {readFileSync, writeFileSync} = require('node:fs')
const {createRequire} = require('node:module')
const {join} = require('node:path')
const vm = require('node:vm')

function loadBundle(name) {
  const file = join(__dirname, name)
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
  // The build runs representative commands with this set, so the cache also holds the functions they compiled.
  if (process.env.PRISM_WRITE_CODE_CACHE === '1') {
    process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()))
  }
  return bundle.exports
}

// What `await import(name)` gives for a module bundled beside the CLI: the named exports, and the module as default.
const BUNDLED = {'@grpc/grpc-js': 'grpc.cjs', dockerode: 'docker.cjs'}
const bundled = new Map()
function bundledModule(specifier) {
  if (!bundled.has(specifier)) {
    const exports = loadBundle(BUNDLED[specifier])
    bundled.set(specifier, Object.freeze({...exports, default: exports}))
  }
  return bundled.get(specifier)
}

// The bundle's dynamic imports come here (see routeDynamicImports in scripts/build.js): import() works in this file.
globalThis.__prismImport = (specifier) => (Object.hasOwn(BUNDLED, specifier) ? Promise.resolve().then(() => bundledModule(specifier)) : import(specifier))

let cli
const cliBundle = () => (cli ??= loadBundle('cli.cjs'))

module.exports = {
  /** oclif's explicit command target and hook (package.json's oclif settings name them). */
  get COMMANDS() {
    return cliBundle().COMMANDS
  },
  get commandNotFound() {
    return cliBundle().commandNotFound
  },
  run: (root) => cliBundle().run(root),
  /** Resolves false when the command line is not one dist/offline.cjs answers (then run() it). */
  runFastValidate: (argv) => loadBundle('offline.cjs').runFastValidate(argv),
  /** The same for `namespace get` / `backend get` (dist/get.cjs, src/cli/fast-get.ts). */
  runFastGet: (argv) => loadBundle('get.cjs').runFastGet(argv),
}
