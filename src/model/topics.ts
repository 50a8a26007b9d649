/**
 * What a topic name may be, wherever one is given: a data call's topic (the proxy checks it, src/proxy/limits.ts)
 * or a mailbox's settings.topics (checked when the namespace is validated). Topic names become subjects, channels
 * and column values in the drivers, so they stay plain: no spaces, no NATS wildcards (`*`, `>`), no leading dot.
 */
export const TOPIC_MAX_CHARS = 128
export const TOPIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/
export const TOPIC_RULE = 'topics use letters, digits, "_", "." and "-", and do not start with "." or "-"'
/** Topics only the proxy publishes to (session events), so that no caller can forge them. */
export const RESERVED_TOPIC_PREFIX = '_prism.'

/** Why `topic` is not a topic a caller or a mailbox's settings.topics may name; undefined when it is one. */
export function topicProblem(topic: string): string | undefined {
  if (topic.length > TOPIC_MAX_CHARS) return `is longer than ${TOPIC_MAX_CHARS} characters`
  if (!TOPIC_NAME.test(topic)) return `is not a topic name (${TOPIC_RULE})`
  if (topic.startsWith(RESERVED_TOPIC_PREFIX)) return `is reserved: topics starting with ${RESERVED_TOPIC_PREFIX} carry the proxy's own events`
  return undefined
}
