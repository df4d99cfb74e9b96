import { CombinedError } from 'urql'
import { describe, expect, it } from 'vitest'
import { describeError, errorCode } from './errors'

const gqlError = (code: string, message = 'x', extra: Record<string, unknown> = {}) =>
  new CombinedError({ graphQLErrors: [{ message, extensions: { code, ...extra } }] })

describe('describeError', () => {
  it('words each code for people', () => {
    expect(describeError(gqlError('UNAUTHENTICATED'))).toMatch(/sign in again/)
    expect(describeError(gqlError('FORBIDDEN'))).toMatch(/permission/)
    expect(describeError(gqlError('NOT_FOUND', 'export not found'))).toMatch(/doesn't exist/)
    expect(describeError(gqlError('BAD_USER_INPUT', 'from must be before to'))).toBe("That didn't work: from must be before to")
  })

  it('quotes the request ID of internal errors', () => {
    expect(describeError(gqlError('INTERNAL_SERVER_ERROR', 'internal', { requestID: 'req-42' }))).toBe(
      'Something went wrong on the server. If it keeps happening, quote request ID req-42.',
    )
  })

  it('explains network failures', () => {
    expect(describeError(new CombinedError({ networkError: new Error('Failed to fetch') }))).toMatch(/Can't reach the server/)
  })

  it('finds the code', () => {
    expect(errorCode(gqlError('FORBIDDEN'))).toBe('FORBIDDEN')
    expect(errorCode(null)).toBeUndefined()
  })
})
