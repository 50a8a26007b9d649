/**
 * Throwaway certificates for TLS tests and benchmarks, made with the openssl CLI: a CA, a server certificate for
 * 127.0.0.1 and localhost, a client certificate, all signed by it, and a second CA that signed neither.
 */
import {execFileSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {tempDir} from './cli.js'

export interface TestPki {
  dir: string
  caFile: string
  /** A CA that signed nothing here: verifying with it must fail. */
  otherCaFile: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  remove(): void
}

export function makeTestPki(): TestPki {
  const dir = tempDir('prism-pki-')
  const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  const ca = (name: string) => openssl('req', '-x509', ...newKey, '-days', '1', '-subj', `/CN=${name} test CA`, '-keyout', `${name}-ca-key.pem`, '-out', `${name}-ca.pem`)
  const cert = (name: string, subject: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions)
    openssl('req', ...newKey, '-subj', subject, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`)
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'good-ca.pem', '-CAkey', 'good-ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`)
  }
  ca('good')
  ca('other')
  cert('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  cert('client', '/CN=prism-client', 'extendedKeyUsage=clientAuth\n')
  const at = (file: string) => join(dir, file)
  return {
    dir,
    caFile: at('good-ca.pem'),
    otherCaFile: at('other-ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server-key.pem'),
    clientCert: at('client.pem'),
    clientKey: at('client-key.pem'),
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}
