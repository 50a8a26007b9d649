/**
 * Proxy leases: a proxy renews its lease every few seconds, naming the namespaces it serves; a namespace is ACTIVE
 * while at least one unexpired lease names it. Leases are not resource mutations: they are neither versioned nor
 * audited, and expired ones are pruned by later renewals.
 */
import type {FieldViolation} from '../errors.js'
import type {RenewProxyLeaseRequest} from '../gen/prism/admin/v1/control_plane_pb.js'
import {NAME_PATTERN} from '../model/validate.js'
import type {Lease} from './store.js'

export const LEASE_LIMITS = {defaultTtlSeconds: 15, maxTtlSeconds: 300, maxNamespaces: 10_000, maxEndpointLength: 256, maxVersionLength: 64}

export const PROXY_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** How many bad namespace names one error lists. */
const NAMED_BAD_NAMES = 10

export function proxyIdViolations(proxyId: string): FieldViolation[] {
  return PROXY_ID.test(proxyId) ? [] : [{field: 'proxyId', description: 'must be 1 to 128 characters of letters, digits and . _ : -'}]
}

/** The lease a renewal asks for, or what is wrong with it. */
export function leaseFrom(req: RenewProxyLeaseRequest): {lease: Lease; violations: FieldViolation[]} {
  const violations = proxyIdViolations(req.proxyId)
  const ttlSeconds = req.ttlSeconds || LEASE_LIMITS.defaultTtlSeconds
  if (ttlSeconds > LEASE_LIMITS.maxTtlSeconds) violations.push({field: 'ttlSeconds', description: `at most ${LEASE_LIMITS.maxTtlSeconds} seconds, got ${ttlSeconds}`})
  const namespaces = [...new Set(req.namespaces)]
  if (namespaces.length > LEASE_LIMITS.maxNamespaces) {
    violations.push({field: 'namespaces', description: `at most ${LEASE_LIMITS.maxNamespaces} namespaces per lease, got ${namespaces.length}`})
  } else {
    const bad = req.namespaces.map((name, i) => ({name, i})).filter(({name}) => !NAME_PATTERN.test(name))
    for (const {i} of bad.slice(0, NAMED_BAD_NAMES)) violations.push({field: `namespaces[${i}]`, description: `is not a namespace name (${NAME_PATTERN.source})`})
  }
  if (req.endpoint.length > LEASE_LIMITS.maxEndpointLength) violations.push({field: 'endpoint', description: `at most ${LEASE_LIMITS.maxEndpointLength} characters`})
  if (req.version.length > LEASE_LIMITS.maxVersionLength) violations.push({field: 'version', description: `at most ${LEASE_LIMITS.maxVersionLength} characters`})
  return {lease: {proxyId: req.proxyId, namespaces, ttlMs: ttlSeconds * 1000, endpoint: req.endpoint, version: req.version}, violations}
}
