// Turning GraphQL and network errors into sentences a school IT admin can act on.
import type { CombinedError } from 'urql'

interface GraphQLErrorLike {
  message: string
  extensions?: Record<string, unknown>
  path?: ReadonlyArray<string | number>
}

/** errorCode returns the first extensions.code of a combined error, if any. */
export function errorCode(error: CombinedError | null | undefined): string | undefined {
  const code = error?.graphQLErrors?.find((e) => e.extensions?.code)?.extensions?.code
  return typeof code === 'string' ? code : undefined
}

function requestIdOf(e: GraphQLErrorLike): string | undefined {
  const x = e.extensions ?? {}
  for (const key of ['requestID', 'requestId', 'request_id']) {
    if (typeof x[key] === 'string') return x[key] as string
  }
  return undefined
}

/** describeGraphQLError says what went wrong in words, by extensions.code. */
export function describeGraphQLError(e: GraphQLErrorLike): string {
  const code = e.extensions?.code
  const msg = e.message?.replace(/^(input|graphql):\s*/i, '') ?? ''
  switch (code) {
    case 'BAD_USER_INPUT':
      return msg ? `That didn't work: ${msg}` : 'Some of the values entered are not valid.'
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'GRAPHQL_PARSE_FAILED':
      return `The server did not understand the dashboard's request; the dashboard may be out of date, so reload the page. (${msg})`
    case 'TOO_MANY_REQUESTS':
      return msg || 'Too many attempts. Please wait a few minutes and try again.'
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.'
    case 'FORBIDDEN':
      return "You don't have permission to do that. Ask a school administrator if you need access."
    case 'NOT_FOUND':
      return msg && !/not found/i.test(msg) ? `Not found: ${msg}` : "That item doesn't exist, or you can't see it."
    case 'INTERNAL_SERVER_ERROR': {
      const id = requestIdOf(e)
      return `Something went wrong on the server.${id ? ` If it keeps happening, quote request ID ${id}.` : ' Please try again.'}`
    }
    default:
      return msg || 'Something went wrong.'
  }
}

/** describeError says what went wrong with a request, in words. */
export function describeError(error: CombinedError | Error | null | undefined): string {
  if (!error) return ''
  const combined = error as CombinedError
  if (combined.graphQLErrors && combined.graphQLErrors.length > 0) {
    const messages = [...new Set(combined.graphQLErrors.map((e) => describeGraphQLError(e)))]
    return messages.join(' ')
  }
  if (combined.networkError) {
    const status = (combined.response as Response | undefined)?.status
    if (status === 429) return 'Too many requests. Please wait a moment and try again.'
    if (status && status >= 500) {
      // A failure outside GraphQL (a proxy, a crash) still carries the server's request ID header.
      const id = (combined.response as Response | undefined)?.headers?.get?.('X-Request-ID')
      return `The server had a problem (HTTP ${status}). Please try again shortly.${id ? ` If it keeps happening, quote request ID ${id}.` : ''}`
    }
    return "Can't reach the server. Check your connection and try again."
  }
  return error.message || 'Something went wrong.'
}
