/**
 * Every operation of the REST API v1, as data: method, path, permission, the schemas of its inputs and
 * answers. routes.ts registers exactly these (with a handler for each id), openapi.ts and the /docs/api
 * page are generated from them: one list, no second copy.
 */
import type { z } from 'zod';
import type { Permission } from '../../domain/tokens/scope.js';
import {
  CertificatePartParamsSchema,
  CertificatePartQuerySchema,
  CertificateStatusSchema,
  EmptyQuerySchema,
  RecordCreateSchema,
  RecordIdParamsSchema,
  RecordListQuerySchema,
  RecordListSchema,
  RecordPatchSchema,
  RecordSchema,
} from './schemas.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

export interface ApiResponse {
  description: string;
  /** JSON body schema; or the media types of a non-JSON body. */
  schema?: z.ZodType;
  media?: string[];
  headers?: Record<string, string>;
}

export interface Operation<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  id: string;
  method: Method;
  /** OpenAPI form, relative to /api/v1: `/records/{id}`. */
  path: string;
  summary: string;
  description: string;
  tag: 'Records' | 'Certificate' | 'Zone';
  permission: Permission;
  params: P | null;
  query: Q;
  body: B;
  /** Whether it changes something (counted by the hourly write limit). */
  writes: boolean;
  /** Success answers by status. Errors are the same problem+json set everywhere (openapi.ts). */
  responses: Record<number, ApiResponse>;
}

const op = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType | undefined>(
  o: Operation<P, Q, B>,
) => o;

const RECORD_ETAG = 'Strong validator of this part of the current certificate.';

export const OPERATIONS = {
  listRecords: op({
    id: 'listRecords',
    method: 'get',
    path: '/records',
    tag: 'Records',
    summary: 'List records',
    description:
      'Your records in id order, only those the token may read (its names and types). Paginate with `page` and `limit`, or follow `nextCursor` with `cursor`.',
    permission: 'records:read',
    params: null,
    query: RecordListQuerySchema,
    body: undefined,
    writes: false,
    responses: { 200: { description: 'A page of records.', schema: RecordListSchema } },
  }),
  getRecord: op({
    id: 'getRecord',
    method: 'get',
    path: '/records/{id}',
    tag: 'Records',
    summary: 'Get a record',
    description: 'One of your records.',
    permission: 'records:read',
    params: RecordIdParamsSchema,
    query: EmptyQuerySchema,
    body: undefined,
    writes: false,
    responses: { 200: { description: 'The record.', schema: RecordSchema } },
  }),
  createRecord: op({
    id: 'createRecord',
    method: 'post',
    path: '/records',
    tag: 'Records',
    summary: 'Create a record',
    description:
      'Creates a record under your domain with the same rules, limits and consistency checks as the form, and publishes it at once.',
    permission: 'records:write',
    params: null,
    query: EmptyQuerySchema,
    body: RecordCreateSchema,
    writes: true,
    responses: {
      201: {
        description: 'Created.',
        schema: RecordSchema,
        headers: { Location: 'The new record.' },
      },
    },
  }),
  updateRecord: op({
    id: 'updateRecord',
    method: 'patch',
    path: '/records/{id}',
    tag: 'Records',
    summary: 'Change a record',
    description:
      'Changes the given fields; the others keep their values. The token must be allowed both the old and the new name and type.',
    permission: 'records:write',
    params: RecordIdParamsSchema,
    query: EmptyQuerySchema,
    body: RecordPatchSchema,
    writes: true,
    responses: { 200: { description: 'The changed record.', schema: RecordSchema } },
  }),
  deleteRecord: op({
    id: 'deleteRecord',
    method: 'delete',
    path: '/records/{id}',
    tag: 'Records',
    summary: 'Delete a record',
    description: 'Deletes the record; the name stops resolving shortly after.',
    permission: 'records:write',
    params: RecordIdParamsSchema,
    query: EmptyQuerySchema,
    body: undefined,
    writes: true,
    responses: { 204: { description: 'Deleted.' } },
  }),
  renewRecord: op({
    id: 'renewRecord',
    method: 'post',
    path: '/records/{id}/renew',
    tag: 'Records',
    summary: 'Renew a record',
    description: 'Moves the expiry to now + the record lifetime, as the Renew button does.',
    permission: 'records:write',
    params: RecordIdParamsSchema,
    query: EmptyQuerySchema,
    body: undefined,
    writes: true,
    responses: { 200: { description: 'The renewed record.', schema: RecordSchema } },
  }),
  getCertificate: op({
    id: 'getCertificate',
    method: 'get',
    path: '/certificate',
    tag: 'Certificate',
    summary: 'Certificate status',
    description: 'Your certificate: whether one is issued, its validity and renewal.',
    permission: 'certificate:read',
    params: null,
    query: EmptyQuerySchema,
    body: undefined,
    writes: false,
    responses: { 200: { description: 'The status.', schema: CertificateStatusSchema } },
  }),
  getCertificatePart: op({
    id: 'getCertificatePart',
    method: 'get',
    path: '/certificate/{part}',
    tag: 'Certificate',
    summary: 'Download a certificate part',
    description:
      'One part of the current certificate (or with `which=previous` of the one it replaced, until that expires), with a strong `ETag`. Send it back in `If-None-Match` to get 304 until a renewal changes the certificate, e.g. `curl --etag-save e --etag-compare e`.',
    permission: 'certificate:read',
    params: CertificatePartParamsSchema,
    query: CertificatePartQuerySchema,
    body: undefined,
    writes: false,
    responses: {
      200: {
        description: 'The part: PEM text, or PKCS#12 for pfx.',
        media: ['application/x-pem-file', 'application/x-pkcs12'],
        headers: { ETag: RECORD_ETAG },
      },
      304: { description: 'Not modified: `If-None-Match` names the current part.' },
    },
  }),
  getZone: op({
    id: 'getZone',
    method: 'get',
    path: '/zone',
    tag: 'Zone',
    summary: 'Records as a zone file',
    description:
      'Your records (those the token may read) as a BIND zone-file fragment with `$ORIGIN` your domain.',
    permission: 'records:read',
    params: null,
    query: EmptyQuerySchema,
    body: undefined,
    writes: false,
    responses: { 200: { description: 'The zone-file fragment.', media: ['text/plain'] } },
  }),
} as const;

export type OperationId = keyof typeof OPERATIONS;
export const OPERATION_LIST: Operation[] = Object.values(OPERATIONS);

/** `/records/{id}` → `/records/:id` (Hono's form). */
export const honoPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');
