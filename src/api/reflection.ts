/**
 * gRPC server reflection (grpc.reflection.v1), answered from the descriptors protobuf-es generated, so grpcurl and
 * `buf curl` can list and call our servers' services without our .proto files. It describes the schema only, which
 * the package publishes anyway, so it needs no token.
 */
import {create, toBinary, type DescFile, type DescService, type MessageInitShape} from '@bufbuild/protobuf'
import {nestedTypes} from '@bufbuild/protobuf/reflect'
import {FileDescriptorProtoSchema} from '@bufbuild/protobuf/wkt'
import type * as grpc from '@grpc/grpc-js'

import {ServerReflection, ServerReflectionResponseSchema, type ServerReflectionRequest, type ServerReflectionResponse} from '../gen/grpc/reflection/v1/reflection_pb.js'
import {GRPC_CODES} from './grpc-status.js'
import {serviceDefinition} from './grpc-service.js'

export function addReflection(server: grpc.Server, services: DescService[]): void {
  const served = [...services, ServerReflection]
  const byName = new Map<string, DescFile>()
  const collect = (file: DescFile) => {
    if (byName.has(file.proto.name)) return
    byName.set(file.proto.name, file)
    file.dependencies.forEach(collect)
  }
  served.forEach((s) => collect(s.file))
  const bySymbol = new Map<string, DescFile>()
  for (const file of byName.values()) {
    for (const type of nestedTypes(file)) {
      bySymbol.set(type.typeName, file)
      if (type.kind === 'service') for (const m of type.methods) bySymbol.set(`${type.typeName}.${m.name}`, file)
    }
  }
  /** The file and, after it, every file it imports (transitively), each once: what a client needs to decode it. */
  const withImports = (file: DescFile): Uint8Array[] => {
    const seen = new Set<string>()
    const out: Uint8Array[] = []
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return
      seen.add(f.proto.name)
      out.push(toBinary(FileDescriptorProtoSchema, f.proto))
      f.dependencies.forEach(visit)
    }
    visit(file)
    return out
  }
  const notFound = (what: string) => ({case: 'errorResponse' as const, value: {errorCode: GRPC_CODES.NOT_FOUND!, errorMessage: `${what} is not served here`}})

  function answer(request: ServerReflectionRequest): ServerReflectionResponse {
    const r = request.messageRequest
    let messageResponse: MessageInitShape<typeof ServerReflectionResponseSchema>['messageResponse']
    if (r.case === 'listServices') {
      messageResponse = {case: 'listServicesResponse', value: {service: served.map((s) => ({name: s.typeName}))}}
    } else if (r.case === 'fileContainingSymbol' || r.case === 'fileByFilename') {
      const file = r.case === 'fileByFilename' ? byName.get(r.value) : bySymbol.get(r.value.replace(/^\./, ''))
      messageResponse = file ? {case: 'fileDescriptorResponse', value: {fileDescriptorProto: withImports(file)}} : notFound(r.case === 'fileByFilename' ? `file ${r.value}` : `symbol ${r.value}`)
    } else if (r.case === 'allExtensionNumbersOfType') {
      // Our protos declare no extensions.
      messageResponse = {case: 'allExtensionNumbersResponse', value: {baseTypeName: r.value, extensionNumber: []}}
    } else {
      messageResponse = notFound('that extension')
    }
    return create(ServerReflectionResponseSchema, {validHost: request.host, originalRequest: request, messageResponse})
  }

  server.addService(serviceDefinition(ServerReflection), {
    serverReflectionInfo: (call: grpc.ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>) => {
      call.on('data', (request: ServerReflectionRequest) => call.write(answer(request)))
      call.on('end', () => call.end())
      call.on('error', () => {})
    },
  })
}
