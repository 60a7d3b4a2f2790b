/** Outgoing email. Adapters: SMTP (nodemailer). Without one, mail stays in the outbox (development mailbox). */
export interface OutgoingEmail {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export interface Mailer {
  /** Deliver one message; resolves when the server accepted it, throws otherwise. */
  send(message: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}
