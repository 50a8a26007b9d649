// Builds dist/: one CommonJS bundle of the CLI (oclif + our code, lazily initialised modules inside), a loader that
// runs it with a V8 code cache, the code cache itself, and oclif.manifest.json so `--help` never imports commands.
import {build} from 'esbuild'
import {copyFileSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {dirname, join} from 'node:path'

import {lazyRequires} from './lazy-requires.js'
import {precomputedDescriptors} from './precomputed-descriptors.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const quick = process.argv.includes('--quick')

// Native addons, and the heavy modules that only some commands need (imported with `await import()`).
const external = ['better-sqlite3', 'pg', '@grpc/grpc-js', 'openid-client', 'jose', '@inquirer/prompts', 'dockerode', 'oidc-provider', 'bcryptjs',
  // Backend client libraries and metrics: only the proxy loads them.
  '@redis/client', '@nats-io/transport-node', '@nats-io/jetstream', 'kafkajs', 'prom-client',
  // oclif reads tsconfig with it only in development mode; never needed by the installed CLI.
  'typescript']

rmSync(join(root, 'dist'), {recursive: true, force: true})
rmSync(join(root, 'oclif.manifest.json'), {force: true})

/** Our code's bundles: CommonJS, minified, the heavy modules left outside, protobuf descriptors precomputed. */
const ourBundle = (entry, outfile) => ({
  entryPoints: [join(root, entry)],
  outfile: join(root, outfile),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  // The bundle is CommonJS; modules that locate files relative to themselves get the bundle's own URL.
  define: {'import.meta.url': '__prismBundleUrl'},
  banner: {js: "var __prismBundleUrl=require('node:url').pathToFileURL(__filename).href;"},
  plugins: [precomputedDescriptors(root)],
  logLevel: 'warning',
})

await build(ourBundle('src/cli.ts', 'dist/cli.cjs'))
routeDynamicImports(join(root, 'dist/cli.cjs'))
// `validate` without oclif (src/cli/fast-validate.ts): a bundle of the offline check alone, with its own code cache.
await build(ourBundle('src/cli/fast-validate.ts', 'dist/offline.cjs'))
// `namespace get` / `backend get` without oclif (src/cli/fast-get.ts), with grpc-js from dist/grpc.cjs.
await build(ourBundle('src/cli/fast-get.ts', 'dist/get.cjs'))
routeDynamicImports(join(root, 'dist/get.cjs'))
/** A dependency in one file of its own, loaded by dist/load.cjs with a code cache when the CLI imports it. */
const dependencyBundle = (entry, outfile, options) =>
  build({entryPoints: [join(root, entry)], outfile: join(root, outfile), bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, keepNames: true, logLevel: 'warning', ...options})
// grpc-js (proto-loader: only for channelz/ORCA).
await dependencyBundle('node_modules/@grpc/grpc-js/build/src/index.js', 'dist/grpc.cjs', {external: ['@grpc/proto-loader']})
// dockerode, with what only ssh:// engines and BuildKit sessions need loaded on use.
await dependencyBundle('node_modules/dockerode/lib/docker.js', 'dist/docker.cjs', {
  external: ['ssh2', 'cpu-features', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'],
  plugins: [lazyRequires()],
})
copyFileSync(join(root, 'scripts/bundle-loader.cjs'), join(root, 'dist/load.cjs'))

if (!quick) {
  const {Config} = await import('@oclif/core')
  const config = await Config.load(root)
  writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(config.plugins.get(pkg.name).manifest, null, 2))

  // Warm the code cache with representative commands. Each run starts from the cache the previous one wrote and
  // adds the functions it compiled, so the cache ends up covering help, the YAML pipeline and the command runtime.
  const env = {...process.env, PRISM_WRITE_CODE_CACHE: '1', PRISM_CONFIG_DIR: join(root, 'dist', '.warmup')}
  delete env.NODE_EXTRA_CA_CERTS
  const examples = join(root, 'templates/examples')
  // PRISM_FAST_PATH=0: validate through oclif too, so that cli.cjs's cache holds the YAML pipeline that apply uses.
  execFileSync(process.execPath, [join(root, 'bin/run.js'), 'validate', '-f', examples], {env: {...env, PRISM_FAST_PATH: '0'}, stdio: 'ignore'})
  for (const argv of [['--help'], ['validate', '-f', examples], ['convert', '-f', join(examples, 'team-alpha.yaml'), '--to', 'json'], ['context', 'list']]) {
    execFileSync(process.execPath, [join(root, 'bin/run.js'), ...argv], {env, stdio: 'ignore'})
  }
  // A gRPC call with nobody listening (it fails, as expected) warms dist/grpc.cjs.cache (channel, call, status) and
  // dist/get.cjs.cache; through oclif too, for cli.cjs.cache (list, apply and the rest share that code).
  for (const fastPath of ['1', '0']) {
    try {
      execFileSync(process.execPath, [join(root, 'bin/run.js'), 'namespace', 'get', 'warmup', '--admin-endpoint', '127.0.0.1:1', '--timeout', '2s'], {env: {...env, PRISM_FAST_PATH: fastPath}, stdio: 'ignore'})
    } catch {
      // exit 1: unreachable
    }
  }
  // And dist/docker.cjs.cache: an engine found (or none, which fails too) and a stack that does not exist listed.
  try {
    execFileSync(process.execPath, [join(root, 'bin/run.js'), 'dev', 'status', '--stack', 'prismctl-build-warmup', '-o', 'json'], {env, stdio: 'ignore', timeout: 20_000})
  } catch {
    // exit 1: no engine answering, or the stack is not up
  }
  rmSync(join(root, 'dist', '.warmup'), {recursive: true, force: true})
}

/**
 * Node 20's vm drops the dynamic-import callback of a script whose code cache is accepted, so `import()` inside the
 * bundle would fail. Every dynamic import is sent through __prismImport, which dist/load.cjs (a real module) defines.
 * Any other form of import() fails the build rather than failing at run time.
 */
function routeDynamicImports(file) {
  const code = readFileSync(file, 'utf8').replaceAll('await import(', 'await __prismImport(')
  const leftover = code.replaceAll('"import()"', '').match(/[^\w$.]import\(.{0,60}/)
  if (leftover) throw new Error(`unsupported dynamic import form in the bundle (use \`await import(…)\`): ${leftover[0]}`)
  writeFileSync(file, code)
}
