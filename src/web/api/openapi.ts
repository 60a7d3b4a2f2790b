/**
 * The OpenAPI 3.1 document of the REST API, generated from OPERATIONS and the zod schemas that validate
 * requests (z.toJSONSchema gives JSON Schema 2020-12, which is OpenAPI 3.1's dialect). Built once per
 * process and served as bytes.
 */
import { z } from 'zod';
import { OPERATION_LIST, type Operation } from './operations.js';
import { PROBLEMS, type ProblemKind, problemType } from './problem.js';
import {
  CertificateStatusSchema,
  ProblemSchema,
  RecordCreateSchema,
  RecordListSchema,
  RecordPatchSchema,
  RecordSchema,
} from './schemas.js';

/** Named schemas (components.schemas); others are inlined where used. */
const NAMED: [string, z.ZodType][] = [
  ['Record', RecordSchema],
  ['RecordList', RecordListSchema],
  ['RecordCreate', RecordCreateSchema],
  ['RecordPatch', RecordPatchSchema],
  ['CertificateStatus', CertificateStatusSchema],
  ['Problem', ProblemSchema],
];

type Json = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const strip = (s: Json): Json => {
  const { $schema: _s, $id: _i, ...rest } = s;
  return rest;
};

function components(): Record<string, Json> {
  const reg = z.registry<{ id: string }>();
  for (const [id, schema] of NAMED) reg.add(schema, { id });
  const out = z.toJSONSchema(reg, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(out.schemas).map(([k, v]) => [k, strip(v)]));
}

function schemaRef(schema: z.ZodType): Json {
  const named = NAMED.find(([, s]) => s === schema);
  if (named) return ref(named[0]);
  return strip(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }));
}

function parameters(op: Operation): Json[] {
  const out: Json[] = [];
  const add = (schema: z.ZodType | null, where: 'path' | 'query') => {
    if (!schema) return;
    const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
    for (const [name, field] of Object.entries(shape)) {
      const json = schemaRef(field);
      const { description, ...rest } = json;
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  };
  add(op.params, 'path');
  add(op.query, 'query');
  return out;
}

const problemResponse = (kinds: ProblemKind[]): Json => ({
  description: kinds.map((k) => `${PROBLEMS[k].title}: ${PROBLEMS[k].when}`).join(' '),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

function responses(op: Operation): Json {
  const out: Json = {};
  for (const [status, r] of Object.entries(op.responses)) {
    out[status] = {
      description: r.description,
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([h, d]) => [
                h,
                { description: d, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(r.schema
        ? { content: { 'application/json': { schema: schemaRef(r.schema) } } }
        : r.media
          ? {
              content: Object.fromEntries(
                r.media.map((m) => [
                  m,
                  {
                    schema: {
                      type: 'string',
                      ...(m.includes('pkcs12') ? { format: 'binary' } : {}),
                    },
                  },
                ]),
              ),
            }
          : {}),
    };
  }
  const errors: [number, ProblemKind[]][] = [
    [400, ['invalid-input', 'malformed-json']],
    [401, ['unauthorized']],
    [403, ['forbidden']],
    [404, ['not-found']],
    ...(op.writes || op.id === 'getCertificatePart'
      ? ([[409, ['conflict', 'limit-exceeded']]] as [number, ProblemKind[]][])
      : []),
    ...(op.body
      ? ([
          [413, ['payload-too-large']],
          [415, ['unsupported-media-type']],
        ] as [number, ProblemKind[]][])
      : []),
    [429, ['rate-limited']],
  ];
  for (const [status, kinds] of errors) out[status] = problemResponse(kinds);
  (out['429'] as Json).headers = {
    'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
  };
  (out['401'] as Json).headers = {
    'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750).', schema: { type: 'string' } },
  };
  return out;
}

/** The whole document for a service at `appUrl`. */
export function buildOpenApi(appUrl: string, productName: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATION_LIST) {
    const item = (paths[op.path] ??= {});
    item[op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      description: `${op.description}\n\nNeeds the \`${op.permission}\` permission.`,
      ...(parameters(op).length ? { parameters: parameters(op) } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaRef(op.body) } },
            },
          }
        : {}),
      responses: responses(op),
    };
  }
  // The document itself, served without a token.
  paths['/openapi.json'] = {
    get: {
      operationId: 'getOpenApi',
      tags: ['Meta'],
      summary: 'This document',
      description: 'The OpenAPI 3.1 document of this API. No token needed.',
      security: [],
      responses: {
        200: {
          description: 'The document.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: `${productName} API`,
      version: '1',
      description: `Manage your DNS records and download your certificate with a personal access token (Tokens page). Errors are RFC 9457 problem documents whose \`type\` is one of ${problemType(appUrl, 'invalid-input').replace(/invalid-input$/, '…')}. No CORS: browsers on other sites cannot call it.`,
    },
    servers: [{ url: `${appUrl.replace(/\/+$/, '')}/api/v1` }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'Records', description: 'DNS records under your domain.' },
      { name: 'Certificate', description: 'Your HTTPS certificate.' },
      { name: 'Zone', description: 'Your records as a zone file.' },
      { name: 'Meta', description: 'About the API.' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'stc_…',
          description: 'A personal access token: `Authorization: Bearer stc_…`.',
        },
      },
      schemas: components(),
    },
  };
}
