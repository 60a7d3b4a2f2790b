/**
 * The REST API's shapes, each defined once with zod: requests are validated with these schemas and the
 * OpenAPI document (openapi.ts) is generated from the same objects, so the two cannot drift apart.
 * Request objects are strict (an unknown field is an error, so a typo is never silently ignored).
 */
import { z } from 'zod';
import { LIMITS, RECORD_TYPES } from '../../domain/dns-records/types.js';
import { PARTS } from '../../domain/certificates/certificates.js';

/** Largest page a listing returns. */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const RecordTypeSchema = z.enum(RECORD_TYPES).describe('Record type.');

const RecordName = z
  .string()
  .min(1)
  .max(LIMITS.subdomainMax)
  .describe('One label under your domain, e.g. `www` for www.{you}.{root}.');

const nullableText = (max: number, description: string) =>
  z.string().max(max).nullable().optional().describe(description);

const recordFields = {
  name: RecordName,
  type: RecordTypeSchema,
  value: z
    .string()
    .min(1)
    .max(LIMITS.txtMax)
    .describe('IPv4 (A), IPv6 (AAAA), host name (CNAME, MX) or text (TXT).'),
  priority: z
    .int()
    .min(0)
    .max(65535)
    .nullable()
    .optional()
    .describe('MX preference (lower is tried first); default 10. Only for MX.'),
  ports: nullableText(LIMITS.portsMax, 'Ports the service listens on, e.g. "80, 443" (a note).'),
  course: nullableText(LIMITS.courseMax, 'Course the record is for (a note).'),
  description: nullableText(LIMITS.descriptionMax, 'What the record is for (a note).'),
};

export const RecordCreateSchema = z
  .strictObject(recordFields)
  .describe('A new DNS record. The same rules as the form apply.');
export type RecordCreate = z.infer<typeof RecordCreateSchema>;

export const RecordPatchSchema = z
  .strictObject({
    name: recordFields.name.optional(),
    type: recordFields.type.optional(),
    value: recordFields.value.optional(),
    priority: recordFields.priority,
    ports: recordFields.ports,
    course: recordFields.course,
    description: recordFields.description,
  })
  .describe(
    'Fields to change; the others keep their values. Any change also renews the record (its expiry moves to now + the record lifetime).',
  );
export type RecordPatch = z.infer<typeof RecordPatchSchema>;

const Timestamp = z.iso.datetime().describe('RFC 3339 time (UTC).');

export const RecordSchema = z
  .object({
    id: z.int().min(1),
    name: RecordName,
    fqdn: z.string().describe('The full name, e.g. www.alice.example.org.'),
    type: RecordTypeSchema,
    value: z.string(),
    priority: z.int().nullable(),
    ports: z.string().nullable(),
    course: z.string().nullable(),
    description: z.string().nullable(),
    status: z
      .enum(['pending', 'live', 'error'])
      .describe('live: published; pending: being pushed to DNS; error: see statusMessage.'),
    statusMessage: z.string().nullable(),
    expiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .describe('A DNS record.');
export type ApiRecord = z.infer<typeof RecordSchema>;

export const RecordListSchema = z.object({
  records: z.array(RecordSchema),
  total: z.int().describe('Matching records in all (that the token may see).'),
  page: z.int(),
  pages: z.int(),
  limit: z.int(),
  nextCursor: z
    .string()
    .nullable()
    .describe('Pass as `cursor` for the next page; null on the last page.'),
});

const Digits = (max: number) => z.string().regex(new RegExp(`^[0-9]{1,${max}}$`));

export const RecordListQuerySchema = z.strictObject({
  page: Digits(7).optional().describe('Page number, from 1 (default 1).'),
  limit: Digits(3)
    .optional()
    .describe(`Records per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}).`),
  cursor: Digits(10).optional().describe('`nextCursor` of the previous page (instead of `page`).'),
  name: z
    .string()
    .regex(/^[a-z0-9_-]{1,63}$/)
    .optional()
    .describe('Only records with this name.'),
  type: RecordTypeSchema.optional().describe('Only records of this type.'),
});

export const RecordIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .describe('Record id.'),
});

export const CertificatePartSchema = z
  .enum([...PARTS, 'pfx'])
  .describe(
    'certificate, chain (intermediates), fullChain (certificate + chain), privateKey (PEM) or pfx (PKCS#12 with an empty password).',
  );
export const CertificatePartParamsSchema = z.strictObject({ part: CertificatePartSchema });
export const CertificatePartQuerySchema = z.strictObject({
  which: z
    .enum(['current', 'previous'])
    .optional()
    .describe(
      'current (default), or previous: the certificate the current one replaced, downloadable until it expires.',
    ),
});

export const CertificateStatusSchema = z.object({
  domain: z.string().describe('The certificate covers this name and *.this name.'),
  status: z
    .enum(['none', 'pending', 'issued', 'failed'])
    .describe(
      'none: never requested; pending: being issued; issued: a certificate is available; failed: the last request failed and no certificate is available.',
    ),
  validFrom: Timestamp.nullable(),
  validTo: Timestamp.nullable(),
  renewFrom: Timestamp.nullable().describe('When the renewal window opens.'),
  renewing: z.boolean().describe('A renewal is in progress.'),
  lastError: z.string().nullable().describe('Why the newest request failed, if it did.'),
  keyAvailable: z.boolean().describe('False when the stored private key can no longer be read.'),
  queue: z
    .object({
      place: z.int().describe('1 = next in line.'),
      length: z.int().describe('Requests waiting, this one included.'),
      estimate: Timestamp.describe(
        'When we expect to send the order to the certificate authority.',
      ),
      reason: z
        .enum([
          'certificates-per-registered-domain',
          'new-orders-per-account',
          'certificates-per-exact-set',
          'failed-authorizations-per-identifier',
          'paused',
          'queue',
        ])
        .describe(
          "Which of the certificate authority's limits holds it, 'paused' when the CA asked us to slow down, 'queue' when only requests ahead of it do.",
        ),
    })
    .nullable()
    .describe(
      'While the request waits for the issuance budget: its place and estimate; null otherwise.',
    ),
  renewAt: Timestamp.nullable().describe(
    'When the automatic renewal starts: random inside the renewal window the certificate authority suggests (ACME Renewal Information), or a spread point when a third of the lifetime remains.',
  ),
  renewalWindow: z
    .object({
      start: Timestamp,
      end: Timestamp,
      explanationUrl: z.string().nullable(),
    })
    .nullable()
    .describe("The certificate authority's suggested renewal window, when it gave one."),
  previous: z
    .object({
      validFrom: Timestamp.nullable(),
      validTo: Timestamp.nullable(),
      keyAvailable: z.boolean(),
    })
    .nullable()
    .describe(
      'The certificate the current one replaced, while it is still valid: it keeps working where it is installed and its parts stay downloadable with ?which=previous until validTo.',
    ),
});

export const ProblemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem (see /docs/api#problems).'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .record(z.string(), z.string())
      .optional()
      .describe('Per-field messages, keyed by field name.'),
  })
  .describe('An error (RFC 9457, application/problem+json).');
export type Problem = z.infer<typeof ProblemSchema>;

export const EmptyQuerySchema = z.strictObject({});
