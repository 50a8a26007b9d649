import {chmodSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {thrown} from '../../test/helpers/errors.js'
import {configPath, DEFAULTS, deleteContext, listContexts, readConfig, resolveContext, setContext, useContext} from './contexts.js'

let env: NodeJS.ProcessEnv

beforeEach(() => {
  env = {PRISM_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'prismctl-contexts-'))}
})
afterEach(() => rmSync(env.PRISM_CONFIG_DIR!, {recursive: true, force: true}))

describe('contexts', () => {
  it('resolves to the defaults when there is no config.yaml', () => {
    expect(resolveContext({}, env)).toEqual({
      name: 'default',
      stored: false,
      adminEndpoint: DEFAULTS.adminEndpoint,
      proxyEndpoint: DEFAULTS.proxyEndpoint,
      issuer: DEFAULTS.issuer,
      clientId: DEFAULTS.clientId,
      scopes: DEFAULTS.scopes,
      tls: false,
      caFile: undefined,
      certFile: undefined,
      keyFile: undefined,
      insecurePlaintext: false,
    })
  })

  it('TLS settings and --insecure-plaintext given for one run beat the stored context', () => {
    setContext('lab', {adminEndpoint: 'lab:1', tls: false, caFile: '/stored/ca.pem'}, {use: true}, env)
    expect(resolveContext({tls: true, certFile: 'c.pem', keyFile: 'k.pem', insecurePlaintext: true}, env)).toMatchObject({tls: true, caFile: '/stored/ca.pem', certFile: 'c.pem', keyFile: 'k.pem', insecurePlaintext: true})
    expect(resolveContext({}, {...env, PRISM_INSECURE_PLAINTEXT: '1'}).insecurePlaintext).toBe(true)
    expect(resolveContext({}, env)).toMatchObject({tls: false, insecurePlaintext: false})
  })

  it('flag beats PRISM_ADMIN_ENDPOINT, which beats the current context, which beats the default', () => {
    setContext('lab', {adminEndpoint: 'lab:1', issuer: 'https://lab.example/dex'}, {use: true}, env)
    expect(resolveContext({}, env)).toMatchObject({name: 'lab', stored: true, adminEndpoint: 'lab:1', issuer: 'https://lab.example/dex'})
    const withEnv = {...env, PRISM_ADMIN_ENDPOINT: 'env:2'}
    expect(resolveContext({}, withEnv).adminEndpoint).toBe('env:2')
    expect(resolveContext({adminEndpoint: 'flag:3'}, withEnv).adminEndpoint).toBe('flag:3')
    expect(resolveContext({context: 'lab'}, withEnv).adminEndpoint).toBe('env:2')
  })

  it('--context and PRISM_CONTEXT pick a stored context; an unknown one is a usage error listing the known ones', () => {
    setContext('a', {adminEndpoint: 'a:1'}, {use: true}, env)
    setContext('b', {adminEndpoint: 'b:1'}, {}, env)
    expect(resolveContext({}, env).name).toBe('a')
    expect(resolveContext({context: 'b'}, env).adminEndpoint).toBe('b:1')
    expect(resolveContext({}, {...env, PRISM_CONTEXT: 'b'}).adminEndpoint).toBe('b:1')
    const err = thrown(() => resolveContext({context: 'nope'}, env))
    expect([err.message, err.exitCode, err.code]).toEqual(['context "nope" does not exist', 2, 'USAGE'])
    expect(err.hint).toContain('Known contexts: a, b.')
    // The built-in default needs no stored entry: --context default is its defaults, whatever is current.
    expect(resolveContext({context: 'default'}, env)).toMatchObject({name: 'default', stored: false, adminEndpoint: '127.0.0.1:8981'})
    expect(resolveContext({}, {...env, PRISM_CONTEXT: 'default'}).adminEndpoint).toBe('127.0.0.1:8981')
  })

  it('set merges into an existing context and switches only with use; use switches, and the file is 0600', () => {
    setContext('a', {adminEndpoint: 'a:1'}, {}, env)
    setContext('b', {adminEndpoint: 'b:1'}, {}, env)
    expect(readConfig(env).currentContext).toBeUndefined()
    expect(resolveContext({}, env).name).toBe('default')
    setContext('a', {issuer: 'https://a.example'}, {}, env)
    expect(readConfig(env).contexts.a).toEqual({adminEndpoint: 'a:1', issuer: 'https://a.example'})
    useContext('b', env)
    expect(resolveContext({}, env).name).toBe('b')
    setContext('c', {tls: true}, {use: true}, env)
    expect(resolveContext({}, env)).toMatchObject({name: 'c', tls: true, adminEndpoint: DEFAULTS.adminEndpoint})
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600)
  })

  it('lists the built-in default and switches back to it, whether or not config.yaml defines it', () => {
    setContext('a', {adminEndpoint: 'a:1'}, {use: true}, env)
    expect(listContexts(env)).toEqual({
      currentContext: 'a',
      contexts: [
        {name: 'default', current: false, stored: false, adminEndpoint: DEFAULTS.adminEndpoint, proxyEndpoint: DEFAULTS.proxyEndpoint, issuer: DEFAULTS.issuer, clientId: DEFAULTS.clientId, scopes: DEFAULTS.scopes},
        {name: 'a', current: true, stored: true, adminEndpoint: 'a:1'},
      ],
    })
    useContext('default', env)
    expect(resolveContext({}, env)).toMatchObject({name: 'default', stored: false, adminEndpoint: DEFAULTS.adminEndpoint})
    setContext('default', {adminEndpoint: 'local:9'}, {}, env)
    expect(listContexts(env).contexts.map((c) => [c.name, c.stored, c.current])).toEqual([['a', true, false], ['default', true, true]])
  })

  it('checks endpoints when saved: HOST:PORT only, a URL gets a hint, and nothing is written', () => {
    for (const ok of ['prism:8981', '10.0.0.1:443', '[::1]:8981', 'a.b-c.example:1']) expect(() => setContext('ok', {adminEndpoint: ok, proxyEndpoint: ok}, {}, env)).not.toThrow()
    const url = thrown(() => setContext('x', {adminEndpoint: 'https://prism.example:443'}, {}, env))
    expect([url.message, url.exitCode, url.hint]).toEqual(['--admin-endpoint takes HOST:PORT, not a URL: "https://prism.example:443"', 2, 'Write --admin-endpoint prism.example:443 --tls; TLS is chosen with --tls, not with a scheme.'])
    // The same check for the endpoint a command is given by flag or environment, not only for saved contexts.
    const flag = thrown(() => resolveContext({adminEndpoint: 'http://127.0.0.1:8981'}, env))
    expect([flag.message, flag.exitCode]).toEqual(['--admin-endpoint takes HOST:PORT, not a URL: "http://127.0.0.1:8981"', 2])
    const fromEnv = thrown(() => resolveContext({}, {...env, PRISM_PROXY_ENDPOINT: 'https://p.example:443'}))
    expect([fromEnv.message, fromEnv.hint]).toEqual(['PRISM_PROXY_ENDPOINT takes HOST:PORT, not a URL: "https://p.example:443"', 'Write PRISM_PROXY_ENDPOINT=p.example:443 and use --tls; TLS is chosen with --tls, not with a scheme.'])
    for (const bad of ['prism', 'prism:', 'prism:0', 'prism:70000', ':8981', 'pri sm:1']) {
      expect(thrown(() => setContext('x', {proxyEndpoint: bad}, {}, env)).message).toBe(`--proxy-endpoint takes HOST:PORT, got ${JSON.stringify(bad)}`)
    }
    expect(readConfig(env).contexts.x).toBeUndefined()
  })

  it('deleting the current context falls back to the defaults; use and delete of an unknown context are NOT_FOUND', () => {
    setContext('a', {adminEndpoint: 'a:1'}, {use: true}, env)
    deleteContext('a', env)
    expect(readConfig(env)).toEqual({currentContext: undefined, contexts: {}})
    expect(resolveContext({}, env)).toMatchObject({name: 'default', stored: false, adminEndpoint: DEFAULTS.adminEndpoint})
    for (const fn of [() => useContext('a', env), () => deleteContext('a', env)]) {
      const err = thrown(fn)
      expect([err.message, err.code, err.exitCode]).toEqual(['context "a" does not exist', 'NOT_FOUND', 1])
    }
  })

  it('reports a config.yaml that is not YAML or not a mapping, naming the file', () => {
    writeFileSync(configPath(env), 'contexts: [unclosed\n')
    expect(thrown(() => resolveContext({}, env)).message).toMatch(new RegExp(`^cannot read ${configPath(env).replaceAll('/', '\\/')}: `))
    writeFileSync(configPath(env), '- a\n- b\n')
    expect(thrown(() => readConfig(env)).message).toBe(`${configPath(env)} is not a mapping`)
  })

  it('refuses a config.yaml or a configuration directory that group or others can write, with the chmod', () => {
    setContext('dev', {adminEndpoint: 'cp.example.test:8981'}, {use: true}, env)
    const path = configPath(env)
    for (const mode of [0o620, 0o602]) {
      chmodSync(path, mode)
      expect(() => resolveContext({}, env)).toThrow(expect.objectContaining({code: 'FAILED_PRECONDITION', message: `refusing to use the configuration file ${path}: other users can write it (mode 0${mode.toString(8)})`, hint: expect.stringContaining(`chmod go-w ${path}`)}))
    }
    chmodSync(path, 0o644)
    expect(resolveContext({}, env).adminEndpoint).toBe('cp.example.test:8981')
    chmodSync(env.PRISM_CONFIG_DIR!, 0o770)
    expect(() => setContext('dev', {tls: true}, {}, env)).toThrow(expect.objectContaining({hint: expect.stringContaining(`chmod go-w ${env.PRISM_CONFIG_DIR}`)}))
  })
})
