/**
 * SMTP delivery through nodemailer: STARTTLS required in production, credentials from the
 * NOTIFICATIONS_USERNAME / NOTIFICATIONS_PASSWORD secrets, pooled connections.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import type { Mailer, OutgoingEmail } from '../../ports/mailer.js';

export function createSmtpMailer(smtp: NonNullable<Config['mail']['smtp']>): Mailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.port === 465,
    requireTLS: smtp.requireTls,
    ignoreTLS: !smtp.requireTls && smtp.port !== 465 ? false : undefined,
    auth: smtp.user && smtp.password ? { user: smtp.user, pass: smtp.password } : undefined,
    pool: true,
    maxConnections: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(m: OutgoingEmail) {
      const info = await transport.sendMail({
        messageId: m.messageId,
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
      });
      if (info.rejected.length > 0)
        throw new Error(`SMTP server rejected ${info.rejected.map(String).join(', ')}`);
    },
    async close() {
      transport.close();
    },
  };
}
