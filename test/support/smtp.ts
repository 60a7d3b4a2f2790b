/**
 * A real SMTP server (smtp-server + mailparser) on a free loopback port. Modes let a test make it refuse
 * messages or drop the connection for a number of attempts before accepting.
 */
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpMode = 'accept' | 'refuse' | 'disconnect';

export interface SmtpCapture {
  port: number;
  received: ParsedMail[];
  /** Attempts seen at DATA, including refused ones. */
  attempts: number;
  /** Behaviour for the next `n` DATA attempts, then accept. */
  failNext(mode: Exclude<SmtpMode, 'accept'>, n: number): void;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  let failMode: SmtpMode = 'accept';
  let failures = 0;
  const capture: SmtpCapture = {
    port: 0,
    received: [],
    attempts: 0,
    failNext(mode, n) {
      failMode = mode;
      failures = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      capture.attempts++;
      if (failures > 0) {
        failures--;
        if (failMode === 'disconnect') {
          stream.resume();
          // Drop the TCP connection mid-transaction: the client never learns the outcome.
          (session as unknown as { _socket?: { destroy(): void } })._socket?.destroy();
          (
            server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }
          ).connections.forEach((c) => c._socket.destroy());
          return;
        }
        stream.resume();
        stream.on('end', () => {
          const err = Object.assign(new Error('Mailbox temporarily unavailable'), {
            responseCode: 451,
          });
          callback(err);
        });
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          capture.received.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  capture.port = (server.server.address() as { port: number }).port;
  return capture;
}
