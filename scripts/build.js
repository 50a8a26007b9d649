// Builds dist/: one ESM bundle of the CLI (oclif + our code), with dynamically imported modules split into chunks
// that load only when a command needs them, then writes oclif.manifest.json so `--help` never imports commands.
import {build} from 'esbuild'
import {rmSync, writeFileSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {dirname, join} from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

// Native addons, packages with their own asset loading, and the heavy ones that only some commands need.
const external = ['better-sqlite3', 'pg', '@grpc/grpc-js', 'openid-client', 'jose', '@inquirer/prompts', 'dockerode', 'oidc-provider',
  // oclif reads tsconfig with it only in development mode; never needed by the installed CLI.
  'typescript']

rmSync(join(root, 'dist'), {recursive: true, force: true})
rmSync(join(root, 'oclif.manifest.json'), {force: true})

await build({
  entryPoints: {cli: join(root, 'src/cli.ts')},
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  chunkNames: 'chunks/[name]-[hash]',
  // oclif is CommonJS; give its require() calls a real require in the ESM bundle.
  banner: {js: "import {createRequire as __prismCreateRequire} from 'node:module';const require=__prismCreateRequire(import.meta.url);"},
  logLevel: 'warning',
})

if (!process.argv.includes('--no-manifest')) {
  const {Config} = await import('@oclif/core')
  const config = await Config.load(root)
  const plugin = config.plugins.get(pkg.name)
  writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2))
}
