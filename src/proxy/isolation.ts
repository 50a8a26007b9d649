/**
 * Namespaces that bind the same backend must not see each other's data, so the proxy scopes every key, topic and
 * consumer group by the namespace before a driver sees it. Namespace names (`^[a-z][a-z0-9-]{2,62}$`) contain
 * neither ":" nor ".", so a scoped name can never be mistaken for another namespace's.
 */
export const scopeKey = (namespace: string, key: string) => `${namespace}:${key}`

export const unscopeKey = (namespace: string, scoped: string) => scoped.slice(namespace.length + 1)

export const scopeTopic = (namespace: string, topic: string) => `${namespace}.${topic}`

export const unscopeTopic = (namespace: string, scoped: string) => (scoped.startsWith(`${namespace}.`) ? scoped.slice(namespace.length + 1) : scoped)

export const scopeGroup = scopeTopic
