// A real SMTP server on 127.0.0.1 for the browser tests (smtp-server), keeping every message
// it receives parsed (mailparser). Plain SMTP without STARTTLS or AUTH, which provreport's
// smtp:// URL accepts: it uses STARTTLS only when the server offers it.
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/**
 * startSMTP listens on a free port and resolves with { port, url, messages, waitForMessage,
 * close }. Each message is mailparser's parsed mail plus envelope { from, to }.
 */
export async function startSMTP() {
  const messages = []
  const waiters = new Set()
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mail.envelope = {
            from: session.envelope.mailFrom?.address ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
          }
          messages.push(mail)
          for (const w of waiters) w()
          callback()
        })
        .catch((err) => callback(err))
    },
  })
  server.on('error', () => {})
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.server.address()
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** waitForMessage resolves with the first message (old or new) for which match is true. */
    waitForMessage(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = messages.find(match)
          if (!m) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(m)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching email in ${timeoutMs} ms; received: ${messages.map((m) => m.subject).join(' | ') || 'none'}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise((r) => server.close(r)),
  }
}
