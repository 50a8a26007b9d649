/**
 * The price of token verification: GetNamespace p50 on a control plane that verifies every call's JWT (signature,
 * issuer, audience, expiry, roles) against the same RPC on one started with --auth none. The token comes from a real
 * OIDC provider (the test provider, password grant through `prismctl login`).
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {tempDir} from '../test/helpers/cli.js'
import {startTestProvider} from '../test/helpers/oidc-provider.js'
import {connect, latencies, prepare, withServer} from './controlplane.js'
import {childEnv, CLI, fmtMs, median, percentile, ratio, type Row} from './lib.js'

export async function benchAuth(count: number): Promise<Row[]> {
  const op = await startTestProvider()
  try {
    const env = childEnv({PRISM_CONFIG_DIR: tempDir('prismctl-bench-auth-')})
    // Async: the provider runs in this process and must keep answering while the CLI talks to it.
    const login = promisify(execFile)(process.execPath, [CLI, 'login', '--issuer', op.issuer, '--username', 'alice@example.test', '--password-stdin'], {env})
    login.child.stdin!.end('alice-pw\n')
    await login
    const token = (await promisify(execFile)(process.execPath, [CLI, 'auth', 'token'], {env})).stdout.trim()

    // Both servers run side by side and the calls take turns, so noise falls on both alike.
    const {plain, authed} = await withServer(['--auth', 'none'], undefined, (open) =>
      withServer(['--issuer', op.issuer, '--audience', 'prismctl'], undefined, async (secured) => {
        const plainClient = connect(open.endpoint)
        const authedClient = connect(secured.endpoint, token)
        try {
          await prepare(plainClient)
          await prepare(authedClient)
          return await latencies(
            {plain: () => plainClient.getNamespace({name: 'bench-get'}), authed: () => authedClient.getNamespace({name: 'bench-get'})},
            count,
          )
        } finally {
          plainClient.close()
          authedClient.close()
        }
      }),
    )
    return [
      {
        name: `GetNamespace p50 / p99 with JWT verification (${count} sequential calls)`,
        value: `${fmtMs(median(authed))} / ${fmtMs(percentile(authed, 99))}`,
        baseline: `${fmtMs(median(plain))} / ${fmtMs(percentile(plain, 99))} (--auth none)`,
        ratio: ratio(median(authed), median(plain)),
        target: '≤ 1.3×',
      },
    ]
  } finally {
    await op.close()
  }
}
