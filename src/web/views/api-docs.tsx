/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
/**
 * /docs/api: the REST API in plain words, rendered from the generated OpenAPI document (so the page,
 * the document and the validation share one definition). Server-rendered, no JavaScript needed.
 */

type Json = Record<string, unknown>;

export interface ApiDocsProps {
  productName: string;
  /** The OpenAPI document (openapi.ts). */
  doc: Json;
  /** Problem kinds: anchor id, status, title, when. */
  problems: { kind: string; status: number; title: string; when: string }[];
  apiUrl: string;
}

const METHODS = ['get', 'post', 'patch', 'delete'] as const;

/** A scalar from the document as text ('' for anything else). */
const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** A short type name for a JSON Schema. */
function typeOf(s: Json | undefined, doc: Json): string {
  if (!s) return '';
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop()!;
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map((x) => typeOf(x, doc)).join(' | ');
  if (Array.isArray(s.type)) return (s.type as string[]).join(' | ');
  if (s.type === 'array') return `${typeOf(s.items as Json, doc)}[]`;
  if (s.type === 'string' && s.format) return `string (${str(s.format)})`;
  return str(s.type) || 'any';
}

function limits(s: Json): string {
  const bits: string[] = [];
  const inner = Array.isArray(s.anyOf) ? ((s.anyOf as Json[])[0] ?? s) : s;
  if (inner.maxLength !== undefined) bits.push(`at most ${str(inner.maxLength)} characters`);
  if (inner.minimum !== undefined && Number(inner.minimum) > -1e15)
    bits.push(`${str(inner.minimum)}–${str(inner.maximum)}`);
  if (inner.pattern !== undefined && inner.type === 'string' && !inner.format)
    bits.push(`matches ${str(inner.pattern)}`);
  return bits.join(', ');
}

function FieldTable(props: { schema: Json; doc: Json }) {
  const props_ = (props.schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((props.schema.required ?? []) as string[]);
  return (
    <table>
      <thead>
        <tr>
          <th>Field</th>
          <th>Type</th>
          <th>Required</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(props_).map(([name, s]) => (
          <tr>
            <td>
              <code>{name}</code>
            </td>
            <td>
              <code>{typeOf(s, props.doc)}</code>
            </td>
            <td>{required.has(name) ? 'yes' : 'no'}</td>
            <td>
              {str(s.description ?? '')} {limits(s) ? <span class="muted">({limits(s)})</span> : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const schemaOf = (doc: Json, s: Json | undefined): Json | undefined => {
  if (!s) return undefined;
  if (typeof s.$ref === 'string')
    return ((doc.components as Json).schemas as Record<string, Json>)[s.$ref.split('/').pop()!];
  return s;
};

function Operation(props: { path: string; method: string; op: Json; doc: Json; apiUrl: string }) {
  const { op, doc } = props;
  const params = (op.parameters ?? []) as Json[];
  const body = schemaOf(
    doc,
    (
      ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as
        Json | undefined
    )?.schema as Json | undefined,
  );
  const responses = op.responses as Record<string, Json>;
  const ok = Object.entries(responses).filter(([s]) => Number(s) < 400);
  const example = [
    `curl -sS`,
    props.method !== 'get' ? ` -X ${props.method.toUpperCase()}` : '',
    ` -H "Authorization: Bearer $TOKEN"`,
    body
      ? ` -H "Content-Type: application/json" -d '{"name":"www","type":"A","value":"192.0.2.10"}'`
      : '',
    ` ${props.apiUrl}${props.path.replace('{id}', '42').replace('{part}', 'fullChain')}`,
  ].join('');
  return (
    <section class="card" id={str(op.operationId)}>
      <h2>
        <code>
          {props.method.toUpperCase()} /api/v1{props.path}
        </code>{' '}
        — {str(op.summary)}
      </h2>
      <p class="pre-wrap">{str(op.description)}</p>
      {params.length > 0 ? (
        <>
          <h3>Parameters</h3>
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>In</th>
                <th>Type</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {params.map((p) => (
                <tr>
                  <td>
                    <code>{str(p.name)}</code>
                    {p.required ? ' (required)' : ''}
                  </td>
                  <td>{str(p.in)}</td>
                  <td>
                    <code>{typeOf(p.schema as Json, doc)}</code>
                  </td>
                  <td>{str(p.description ?? '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        ''
      )}
      {body ? (
        <>
          <h3>Body (application/json)</h3>
          <p>{str(body.description ?? '')} Unknown fields are refused.</p>
          <FieldTable schema={body} doc={doc} />
        </>
      ) : (
        ''
      )}
      <h3>Answers</h3>
      <ul>
        {ok.map(([status, r]) => {
          const content = (r.content ?? {}) as Record<string, Json>;
          const types = Object.keys(content);
          const schema = content['application/json']?.schema as Json | undefined;
          return (
            <li>
              <strong>{status}</strong> {str(r.description)}{' '}
              {schema ? (
                <span>
                  (<code>{typeOf(schema, doc)}</code>)
                </span>
              ) : types.length ? (
                <span class="muted">({types.join(', ')})</span>
              ) : (
                ''
              )}
            </li>
          );
        })}
        <li>
          Errors:{' '}
          {Object.keys(responses)
            .filter((s) => Number(s) >= 400)
            .join(', ')}{' '}
          as <a href="#problems">problem documents</a>.
        </li>
      </ul>
      <h3>Example</h3>
      <pre class="pre-wrap mono">{example}</pre>
    </section>
  );
}

export function ApiDocsPage(props: ApiDocsProps) {
  const { doc } = props;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const schemas = (doc.components as Json).schemas as Record<string, Json>;
  const ops = Object.entries(paths).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path: p, method: m, op: item[m]! })),
  );
  return (
    <>
      <h1>{props.productName} API</h1>
      <section class="card">
        <p>
          Manage your DNS records and download your certificate from scripts, CI pipelines and
          servers. Create a personal access token on the <a href="/tokens">Tokens</a> page and send
          it as <code>Authorization: Bearer stc_…</code> to <code>{props.apiUrl}</code>. A token can
          do only what its permissions, names, record types and address ranges allow; a session
          cookie does not work here, and pages on other sites cannot call the API (no CORS).
        </p>
        <p>
          The machine-readable description is the OpenAPI 3.1 document at{' '}
          <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; this page is generated from it.
        </p>
        <ul>
          {ops.map((o) => (
            <li>
              <a href={`#${str(o.op.operationId)}`}>
                <code>
                  {o.method.toUpperCase()} {o.path}
                </code>
              </a>{' '}
              — {str(o.op.summary)}
            </li>
          ))}
          <li>
            <a href="#schemas">Record and certificate fields</a>, <a href="#problems">errors</a>,{' '}
            <a href="#limits">limits</a>
          </li>
        </ul>
      </section>
      {ops.map((o) => (
        <Operation path={o.path} method={o.method} op={o.op} doc={doc} apiUrl={props.apiUrl} />
      ))}
      <section class="card" id="schemas">
        <h2>Fields</h2>
        {Object.entries(schemas)
          .filter(([name]) => name !== 'Problem')
          .map(([name, s]) => (
            <>
              <h3 id={`schema-${name}`}>{name}</h3>
              <p>{str(s.description ?? '')}</p>
              <FieldTable schema={s} doc={doc} />
            </>
          ))}
      </section>
      <section class="card" id="problems">
        <h2>Errors</h2>
        <p>
          Every error is an RFC 9457 problem document (<code>application/problem+json</code>) with{' '}
          <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> (what to
          do) and, for bad fields, <code>errors</code> naming each field. The <code>type</code> is
          one of these:
        </p>
        <table>
          <thead>
            <tr>
              <th>Type</th>
              <th>Status</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {props.problems.map((p) => (
              <tr id={`problem-${p.kind}`}>
                <td>
                  <code>{p.kind}</code>
                </td>
                <td>{p.status}</td>
                <td>
                  {p.title}: {p.when}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" id="limits">
        <h2>Limits</h2>
        <p>
          Each token and each account may make a limited number of requests per minute, and each
          account a limited number of changes per hour, counted together with dyndns2, acme-dns and
          DNS UPDATE. Past a limit the answer is <code>429</code> with <code>Retry-After</code>{' '}
          (seconds). Bodies are at most 1 MB. Records follow the same rules, limits and expiry as
          the forms.
        </p>
      </section>
    </>
  );
}
