/**
 * Test images built from this machine's own binaries (reference/test-infra.md §1.2): no registry is reachable here.
 * Each image is a rootfs of a program, its `ldd` closure and busybox (for `sh`/`wget` health checks), imported with
 * `docker import`. They stand in for the official images the dev stack pins, behaving as those do where the stack
 * relies on it (the redis and nats commands, postgres's POSTGRES_* initialisation, node on PATH). An image is built
 * once per content: its tag carries a hash of the recipe, so a later run reuses it.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

export interface TestImages {
  redis: string
  nats: string
  postgres: string
  node: string
  busybox: string
}

const PG_BIN = '/usr/lib/postgresql/15/bin'
const PG_LIB = '/usr/lib/postgresql/15/lib'
const PG_SHARE = '/usr/share/postgresql/15'

// What the official postgres image's entrypoint does for the dev stack: initialise PGDATA once with
// POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB, password auth over TCP, then run the server on every address.
const PG_ENTRYPOINT = `#!/bin/sh
set -e
: "\${PGDATA:=/var/lib/postgresql/data}"
if [ "$1" = postgres ]; then
  shift
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
    initdb -D "$PGDATA" -U "\${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    db="\${POSTGRES_DB:-\${POSTGRES_USER:-postgres}}"
    if [ "$db" != postgres ]; then
      echo "CREATE DATABASE \\"$db\\"" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "initialised $PGDATA"
  fi
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
`

interface Recipe {
  files: string[]
  /** Extra trees copied as they are (no ldd). */
  trees?: string[]
  changes: string[]
  setup?: (root: string) => void
}

function lddClosure(files: string[]): string[] {
  const libs = new Set<string>()
  for (const file of files) {
    let out: string
    try {
      out = execFileSync('ldd', [file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    } catch {
      continue // static, or not an ELF file
    }
    for (const m of out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) libs.add(m[1]!)
  }
  return [...libs]
}

function copyInto(root: string, file: string): void {
  const target = join(root, file)
  mkdirSync(dirname(target), {recursive: true})
  cpSync(realpathSync(file), target, {recursive: true, dereference: true})
}

function addBusybox(root: string): void {
  copyInto(root, '/bin/busybox')
  const applets = execFileSync('/bin/busybox', ['--list'], {encoding: 'utf8'}).split('\n').filter(Boolean)
  for (const applet of applets) {
    const link = join(root, 'bin', applet)
    if (!existsSync(link)) symlinkSync('busybox', link)
  }
  mkdirSync(join(root, 'tmp'), {recursive: true})
  chmodSync(join(root, 'tmp'), 0o1777)
  mkdirSync(join(root, 'etc'), {recursive: true})
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n')
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\npostgres:x:999:\nnode:x:1000:\n')
}

function recipes(): Record<keyof TestImages, Recipe> {
  const node = realpathSync(process.execPath)
  const pgLibs = readdirSync(PG_LIB).filter((f) => f.endsWith('.so') && !f.startsWith('llvmjit')).map((f) => join(PG_LIB, f))
  return {
    busybox: {files: [], changes: ['CMD ["sh"]']},
    redis: {files: ['/usr/bin/redis-server', '/usr/bin/redis-cli'], changes: ['CMD ["redis-server"]', 'EXPOSE 6379']},
    nats: {files: ['/usr/sbin/nats-server'], changes: ['CMD ["nats-server"]', 'EXPOSE 4222']},
    node: {
      files: [node],
      trees: ['/etc/ssl/certs/ca-certificates.crt'],
      changes: ['CMD ["node"]'],
      setup: (root) => {
        mkdirSync(join(root, 'usr/local/bin'), {recursive: true})
        if (node !== '/usr/local/bin/node') symlinkSync(node, join(root, 'usr/local/bin/node'))
        mkdirSync(join(root, 'home/node'), {recursive: true})
        chownSync(join(root, 'home/node'), 1000, 1000)
      },
    },
    postgres: {
      files: ['postgres', 'initdb', 'pg_ctl', 'pg_isready'].map((b) => join(PG_BIN, b)).concat(pgLibs),
      trees: [PG_SHARE, '/usr/share/zoneinfo'],
      changes: ['ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'CMD ["postgres"]', 'USER postgres', 'ENV PGDATA=/var/lib/postgresql/data', 'EXPOSE 5432'],
      setup: (root) => {
        mkdirSync(join(root, 'usr/local/bin'), {recursive: true})
        for (const b of ['postgres', 'initdb', 'pg_ctl', 'pg_isready']) symlinkSync(join(PG_BIN, b), join(root, 'usr/local/bin', b))
        writeFileSync(join(root, 'usr/local/bin/docker-entrypoint.sh'), PG_ENTRYPOINT, {mode: 0o755})
        for (const dir of ['var/lib/postgresql/data', 'var/run/postgresql']) {
          mkdirSync(join(root, dir), {recursive: true})
          chownSync(join(root, dir), 999, 999)
        }
        chownSync(join(root, 'var/lib/postgresql'), 999, 999)
        chmodSync(join(root, 'var/lib/postgresql/data'), 0o700)
      },
    },
  }
}

function imageExists(ref: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', ref], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function buildImage(name: string, recipe: Recipe): string {
  const fingerprint = createHash('sha256').update(JSON.stringify(recipe.changes)).update(PG_ENTRYPOINT).update(JSON.stringify(recipe.files)).update(process.version).digest('hex').slice(0, 12)
  const ref = `local/prism-test-${name}:${fingerprint}`
  if (imageExists(ref)) return ref
  const root = mkdtempSync(join(tmpdir(), `prism-image-${name}-`))
  try {
    addBusybox(root)
    // busybox too: Debian's busybox-static needs nothing, its plain busybox package links libc.
    for (const file of [...recipe.files, ...lddClosure([...recipe.files, '/bin/busybox']), ...(recipe.trees ?? [])]) copyInto(root, file)
    // The dynamic loader is found through /lib64 whatever the program was linked with.
    if (existsSync('/lib64/ld-linux-x86-64.so.2')) copyInto(root, '/lib64/ld-linux-x86-64.so.2')
    recipe.setup?.(root)
    const tar = `${root}.tar`
    execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', tar, '.'])
    try {
      execFileSync('docker', ['import', ...recipe.changes.flatMap((c) => ['--change', c]), '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', tar, ref], {stdio: 'ignore'})
    } finally {
      rmSync(tar, {force: true})
    }
    return ref
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
}

/** Builds (or finds) every test image; a few seconds the first time on a machine, nothing after. */
export function ensureTestImages(): TestImages {
  const all = recipes()
  return Object.fromEntries(Object.entries(all).map(([name, recipe]) => [name, buildImage(name, recipe)])) as unknown as TestImages
}

