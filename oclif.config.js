// Commands come from one module (explicit strategy) so the whole CLI can be a single bundle: see scripts/build.js.
export default {
  bin: 'prismctl',
  dirname: 'prism',
  commands: {
    strategy: 'explicit',
    target: './dist/load.cjs',
    identifier: 'COMMANDS',
  },
  // oclif loads a hook's target only when its event fires; this one is the bundle, already loaded by bin/run.js.
  hooks: {
    command_not_found: {target: './dist/load.cjs', identifier: 'commandNotFound'},
  },
  topicSeparator: ' ',
  additionalHelpFlags: ['-h'],
  topics: {
    namespace: {description: 'Validate and manage namespaces (also: ns, namespaces)'},
    backend: {description: 'Validate and manage backends in the global registry (also: backends)'},
    context: {description: 'Manage named contexts (endpoints, issuer) in config.yaml'},
    admin: {description: 'Run the Prism control plane'},
    audit: {description: "Read the control plane's audit log (admin role)"},
    proxy: {description: 'Run the Prism data proxy, and ask one how it is doing'},
    kv: {description: 'Keys and values through the proxy (a namespace with a keyvalue pattern)'},
    auth: {description: 'Tokens for scripts'},
    dev: {description: 'A whole local Prism for development: up, status, logs, down (--embedded: no Docker)'},
  },
}
