/**
 * YAML → protobuf binary throughput on a generated file of 1,000 namespaces: prismctl's strict import (positions,
 * every problem collected, validation rules) against a naive pipeline (yaml → plain objects → protobuf-es fromJson →
 * toBinary) on the same text as the baseline.
 */
import {fromJson, toBinary} from '@bufbuild/protobuf'
import {parseAllDocuments} from 'yaml'

import {NamespaceSchema} from '../src/gen/prism/admin/v1/resources_pb.js'
import {encodeBinary, parseDocuments, validateNamespace} from '../src/model/index.js'
import type {Row} from './lib.js'

export function generateNamespaces(count: number): string {
  const docs: string[] = []
  for (let i = 0; i < count; i++) {
    docs.push(`kind: Namespace
name: team-${String(i).padStart(4, '0')}
team: platform-team
description: Generated namespace ${i} for the throughput benchmark
labels: {env: dev, tier: "${i % 3}", owner: team-${i % 17}}
patterns:
  - name: sessions
    type: session-manager
    version: 0.1.0
    requires: [{slot: session-store, backend: redis-dev}]
    produces: [{slot: session-events, backend: nats-dev}]
  - name: cache
    type: keyvalue
    sessionAware: true
    requires: [{slot: kv-store, backendType: BACKEND_TYPE_REDIS}]   # full enum name: the baseline (plain fromJson) accepts only that
  - name: orders-out
    type: producer
    sessionAware: true
    requires: [{slot: message-sink, backend: kafka-dev}]
    settings: {topic: orders-${i}, batchSize: "100"}
auth: {enabled: true, provider: oidc}
`)
  }
  return docs.join('---\n')
}

function timeIt(fn: () => number, minMs: number): {docsPerSec: number; runs: number} {
  let docs = 0
  let runs = 0
  const start = performance.now()
  while (performance.now() - start < minMs || runs < 2) {
    docs += fn()
    runs++
  }
  return {docsPerSec: (docs * 1000) / (performance.now() - start), runs}
}

export function benchYaml(count = 1000, minMs = 3000): Row[] {
  const text = generateNamespaces(count)
  const strict = () => {
    const {docs, problems} = parseDocuments(text, 'bench.yaml')
    if (problems.length > 0) throw new Error(`generated file has problems: ${problems[0]!.message}`)
    let bytes = 0
    for (const doc of docs) {
      if (validateNamespace(doc.message as never).length > 0) throw new Error('generated namespace is invalid')
      bytes += encodeBinary(doc.kind, doc.message).length
    }
    if (bytes === 0) throw new Error('nothing encoded')
    return docs.length
  }
  const naive = () => {
    let n = 0
    for (const doc of parseAllDocuments(text)) {
      const {kind: _kind, ...json} = doc.toJS() as Record<string, unknown>
      const ns = fromJson(NamespaceSchema, json as never)
      if (toBinary(NamespaceSchema, ns).length === 0) throw new Error('nothing encoded')
      n++
    }
    return n
  }
  // Alternate to spread machine noise over both.
  strict()
  naive()
  const a = timeIt(strict, minMs)
  const b = timeIt(naive, minMs)
  return [
    {
      name: `YAML → binpb, strict import + validation (${count} namespaces, ${(text.length / 1024).toFixed(0)} KiB, ${a.runs} runs)`,
      value: `${a.docsPerSec.toFixed(0)} docs/s`,
      baseline: `${b.docsPerSec.toFixed(0)} docs/s (yaml + fromJson + toBinary, no positions or checks)`,
      ratio: `${(a.docsPerSec / b.docsPerSec).toFixed(2)}×`,
    },
  ]
}
