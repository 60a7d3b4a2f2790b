/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import type { TokenView } from '../../../domain/tokens/tokens.js';
import { PERMISSIONS, type Permission, SCOPE_TYPES } from '../../../domain/tokens/scope.js';
import type { Snippet } from './snippets.js';
import { type Column, DataTable } from '../table.js';

/** What the create form shows (kept as typed when it comes back with errors). */
export interface TokenFormValues {
  name: string;
  expiresInDays: string;
  permissions: string[];
  /** As typed: one per line or comma-separated. */
  names: string;
  types: string[];
  subnets: string;
}

export type TokenFormErrors = Partial<Record<keyof TokenFormValues, string>>;

/** Form field of a permission checkbox (a form keeps only the last value of a repeated name). */
export const permissionField = (p: Permission) => `perm_${p.replace(':', '_')}`;
export const typeField = (t: string) => `type_${t}`;

export const emptyTokenForm = (maxDays: number): TokenFormValues => ({
  name: '',
  expiresInDays: String(Math.min(90, maxDays)),
  permissions: [],
  names: '',
  types: [],
  subnets: '',
});

const PERMISSION_HELP: Record<Permission, { title: string; help: string }> = {
  'records:read': {
    title: 'Read DNS records',
    help: 'See your records and their values. Enough for a script that checks what is published.',
  },
  'records:write': {
    title: 'Change DNS records',
    help: 'Create, change, renew and delete records, and publish the temporary _acme-challenge values a certificate client uses to prove the name is yours. Needed for dynamic DNS (ddclient, a router) and for certbot, lego, Caddy or cert-manager.',
  },
  'certificate:read': {
    title: 'Download the certificate',
    help: 'Download your certificate and its private key, e.g. a nightly job that copies the renewed certificate to your server. Whoever holds the key can pose as your site: keep such a token safe.',
  },
};

const SHORT_PERMISSION: Record<Permission, string> = {
  'records:read': 'read records',
  'records:write': 'change records',
  'certificate:read': 'download certificate',
};

const fmtDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const fmtTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function FieldError(props: { field: string; message?: string | undefined }) {
  return (
    <p class="field-error" id={`err-${props.field}`} role={props.message ? 'alert' : undefined}>
      {props.message ?? ''}
    </p>
  );
}

const described = (field: keyof TokenFormValues, errors: TokenFormErrors) => ({
  'aria-invalid': errors[field] ? 'true' : undefined,
  'aria-describedby': `hint-${field} err-${field}`,
});

/** The create form: plain POST; field errors come back with every value kept. */
export function TokenForm(props: {
  values: TokenFormValues;
  errors: TokenFormErrors;
  formError: string | null;
  maxDays: number;
  baseDomain: string;
  csrf: string;
}) {
  const { values: v, errors: e } = props;
  return (
    <form class="stack token-form" method="post" action="/tokens" novalidate>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.formError && (
        <p class="alert error" role="alert">
          {props.formError}
        </p>
      )}
      <div>
        <label for="token-name">Name</label>
        <input
          id="token-name"
          name="name"
          value={v.name}
          required
          maxlength={100}
          autocomplete="off"
          {...described('name', e)}
        />
        <p class="hint" id="hint-name">
          What will use it, so you recognise it later: “home server ddclient”, “GitHub deploy”.
        </p>
        <FieldError field="name" message={e.name} />
      </div>
      <div>
        <label for="token-expiry">Expires after (days)</label>
        <input
          id="token-expiry"
          name="expiresInDays"
          class="short"
          value={v.expiresInDays}
          required
          inputmode="numeric"
          maxlength={5}
          {...described('expiresInDays', e)}
        />
        <p class="hint" id="hint-expiresInDays">
          From 1 to {props.maxDays} days. The token stops working then; create a new one before.
        </p>
        <FieldError field="expiresInDays" message={e.expiresInDays} />
      </div>
      <fieldset class="choices" {...described('permissions', e)}>
        <legend>What may it do?</legend>
        <p class="hint" id="hint-permissions">
          Choose only what the program needs. A token never has admin rights.
        </p>
        {PERMISSIONS.map((p) => (
          <label class="choice">
            <input
              type="checkbox"
              name={permissionField(p)}
              value="on"
              checked={v.permissions.includes(p)}
            />
            <span>
              <strong>{PERMISSION_HELP[p].title}</strong> <code class="mono muted">{p}</code>
              <span class="hint">{PERMISSION_HELP[p].help}</span>
            </span>
          </label>
        ))}
        <FieldError field="permissions" message={e.permissions} />
      </fieldset>
      <details class="narrowing" open={Boolean(e.names || e.types || e.subnets) || undefined}>
        <summary>Limit it further (optional)</summary>
        <p class="hint">
          A narrow token does less harm if it leaks. Leave a field empty for no limit.
        </p>
        <div>
          <label for="token-names">Only these names</label>
          <textarea
            id="token-names"
            name="names"
            rows={3}
            autocomplete="off"
            spellcheck={false}
            {...described('names', e)}
          >
            {v.names}
          </textarea>
          <p class="hint" id="hint-names">
            One per line or separated by commas, relative to{' '}
            <span class="mono">{props.baseDomain}</span>: <code>laptop</code> for{' '}
            <span class="mono">laptop.{props.baseDomain}</span>, <code>*.lab</code> for any one name
            under lab, <code>_acme-challenge.www</code> for the certificate check of www.
          </p>
          <FieldError field="names" message={e.names} />
        </div>
        <fieldset class="choices inline-choices" {...described('types', e)}>
          <legend>Only these record types</legend>
          {SCOPE_TYPES.map((t) => (
            <label class="choice">
              <input type="checkbox" name={typeField(t)} value="on" checked={v.types.includes(t)} />
              <span>{t}</span>
            </label>
          ))}
          <p class="hint" id="hint-types">
            Certificate clients write TXT records; dynamic DNS writes A (IPv4) and AAAA (IPv6).
          </p>
          <FieldError field="types" message={e.types} />
        </fieldset>
        <div>
          <label for="token-subnets">Only from these addresses</label>
          <textarea
            id="token-subnets"
            name="subnets"
            rows={2}
            autocomplete="off"
            spellcheck={false}
            {...described('subnets', e)}
          >
            {v.subnets}
          </textarea>
          <p class="hint" id="hint-subnets">
            Address ranges (CIDR), IPv4 or IPv6, such as <code>192.0.2.0/24</code> or{' '}
            <code>2001:db8::/48</code>. Use from anywhere else is refused.
          </p>
          <FieldError field="subnets" message={e.subnets} />
        </div>
      </details>
      <p>
        <button type="submit">Create token</button>
      </p>
    </form>
  );
}

/** Permissions and narrowing in words. */
export function ScopeSummary(props: { token: TokenView }) {
  const s = props.token.scope;
  return (
    <ul class="scope">
      <li>
        {s.permissions.length === 0
          ? 'no permissions'
          : s.permissions.map((p) => SHORT_PERMISSION[p] ?? p).join(', ')}
      </li>
      <li>
        {s.names ? (
          <>
            names: <span class="mono">{s.names.join(', ')}</span>
          </>
        ) : (
          'all names'
        )}
      </li>
      <li>{s.types ? `types: ${s.types.join(', ')}` : 'all types'}</li>
      <li>
        {s.subnets ? (
          <>
            from: <span class="mono">{s.subnets.join(', ')}</span>
          </>
        ) : (
          'from anywhere'
        )}
      </li>
    </ul>
  );
}

function StateBadge(props: { token: TokenView }) {
  const t = props.token;
  if (t.state === 'revoked') return <span class="badge err">revoked</span>;
  if (t.state === 'expired') return <span class="badge warn">expired</span>;
  return <span class="badge ok">active</span>;
}

/**
 * The token table (the Tokens page and the admin user page). Revoke asks first: it links to the
 * confirmation page (a GET at the same address the POST goes to), which app.js shows in a <dialog>.
 */
export function TokenTable(props: {
  tokens: TokenView[];
  csrf: string;
  revokeAction: (id: number) => string;
}) {
  const columns: Column<TokenView>[] = [
    {
      label: 'Token',
      cell: (t) => (
        <span class="token-name">
          <strong>{t.name}</strong>
          <span class="mono muted token-id">stc_{t.public_id}…</span>
        </span>
      ),
    },
    { label: 'May', cell: (t) => <ScopeSummary token={t} /> },
    { label: 'Created', class: 'nowrap', cell: (t) => fmtDay(t.created_at) },
    {
      label: 'Expires',
      cell: (t) => (
        <span>
          {t.state === 'revoked' && t.revoked_at !== null
            ? `revoked ${fmtDay(t.revoked_at)}`
            : fmtDay(t.expires_at)}{' '}
          <StateBadge token={t} />
        </span>
      ),
    },
    {
      label: 'Last used',
      cell: (t) =>
        t.last_used_at === null ? (
          <span class="muted">never</span>
        ) : (
          <span class="nowrap">
            {fmtTime(t.last_used_at)}
            <br />
            <span class="mono muted">{t.last_used_ip ?? ''}</span>
          </span>
        ),
    },
    {
      label: 'Actions',
      hideLabel: true,
      phoneLabel: false,
      class: 'row-actions',
      cell: (t) =>
        t.state !== 'active' ? (
          <span class="visually-hidden">No longer usable</span>
        ) : (
          // The confirmation page, or its question in a <dialog> (app.js).
          <a
            class="btn danger small"
            href={props.revokeAction(Number(t.id))}
            data-dialog=""
            aria-label={`Revoke ${t.name}`}
          >
            Revoke…
          </a>
        ),
    },
  ];
  return (
    <DataTable
      class="tokens"
      columns={columns}
      // Active tokens first (newest first within each group, as listed).
      rows={[...props.tokens].sort(
        (a, b) => Number(b.state === 'active') - Number(a.state === 'active'),
      )}
      row={(t) => ({ id: `token-${t.id}`, class: t.state === 'active' ? undefined : 'inactive' })}
    />
  );
}

/** One copyable block: a label, the text, and a Copy button (shown when JavaScript runs). */
function CopyBlock(props: { label: string; text: string; id: string; wrap?: boolean }) {
  return (
    <div class="copy-block">
      <div class="copy-head">
        <span id={`${props.id}-label`}>{props.label}</span>
        <button
          type="button"
          class="secondary small"
          data-copy={props.text}
          aria-label={`Copy ${props.label}`}
        >
          Copy
        </button>
      </div>
      <pre
        class={props.wrap ? 'snippet wrap' : 'snippet'}
        tabindex={0}
        aria-labelledby={`${props.id}-label`}
      >
        <code>{props.text}</code>
      </pre>
    </div>
  );
}

/** Shown once, in the answer to the create POST: the token, its TSIG key, and client set-ups. */
export function CreatedToken(props: {
  token: TokenView;
  secret: string;
  tsig: { keyName: string; secret: string; algorithm: string };
  snippets: Snippet[];
}) {
  const writes = props.token.scope.permissions.includes('records:write');
  return (
    <section class="card created" aria-labelledby="created-title">
      <h2 id="created-title">Copy your new token “{props.token.name}” now</h2>
      <p class="alert info" role="status">
        This is the only time it is shown: we keep only a fingerprint of it. Store it in a password
        manager or your client’s configuration. Lost it? Revoke it below and create another.
      </p>
      <CopyBlock id="secret" label="Access token" text={props.secret} wrap />
      <div class="tsig">
        <CopyBlock id="tsig-name" label="TSIG key name" text={props.tsig.keyName} wrap />
        <CopyBlock
          id="tsig-secret"
          label={`TSIG secret (${props.tsig.algorithm})`}
          text={props.tsig.secret}
          wrap
        />
      </div>
      <p class="hint">
        The access token works for the REST API, dynamic DNS and acme-dns clients; the TSIG key is
        for DNS UPDATE clients (nsupdate, certbot’s rfc2136 plugin, lego’s rfc2136).
      </p>
      <h3>Set up a client</h3>
      {!writes && (
        <p class="hint">
          This token cannot change records, so the dynamic DNS and certificate set-ups below would
          be refused; create a token with “Change DNS records” for those.
        </p>
      )}
      <div class="snippets">
        {props.snippets.map((s) => (
          <details class="snippet-group" id={`snippet-${s.id}`}>
            <summary>
              <strong>{s.title}</strong> <span class="muted">{s.summary}</span>
            </summary>
            {s.parts.map((p, i) => (
              <CopyBlock id={`${s.id}-${i}`} label={p.label} text={p.text} />
            ))}
          </details>
        ))}
      </div>
    </section>
  );
}

export interface TokensPageProps {
  baseDomain: string;
  csrf: string;
  maxDays: number;
  /** An admin acting as this user: creation is refused (an admin must not mint the user's credential). */
  impersonating: boolean;
  tokens: TokenView[];
  values: TokenFormValues;
  errors: TokenFormErrors;
  formError: string | null;
  notice: string | null;
  created: Parameters<typeof CreatedToken>[0] | null;
}

export function TokensPage(props: TokensPageProps) {
  const active = props.tokens.filter((t) => t.state === 'active').length;
  const hasErrors = props.formError !== null || Object.keys(props.errors).length > 0;
  const form = (
    <section class="card create-token" id="create" aria-labelledby="create-title">
      <h2 id="create-title">Create a token</h2>
      {props.impersonating ? (
        <p class="alert error" id="impersonation-refusal">
          Tokens cannot be created while impersonating: a token would outlive the impersonation and
          act as this user. Ask the user to create one. You can still revoke their tokens.
        </p>
      ) : (
        <TokenForm
          values={props.values}
          errors={props.errors}
          formError={props.formError}
          maxDays={props.maxDays}
          baseDomain={props.baseDomain}
          csrf={props.csrf}
        />
      )}
    </section>
  );
  const list = (
    <section aria-labelledby="list-title">
      <h2 id="list-title">
        Your tokens <span class="muted">({active} active)</span>
      </h2>
      {props.tokens.length === 0 ? (
        <p class="hint">No tokens yet.</p>
      ) : (
        <TokenTable
          tokens={props.tokens}
          csrf={props.csrf}
          revokeAction={(id) => `/tokens/${id}/revoke`}
        />
      )}
    </section>
  );
  return (
    <>
      <h1>Tokens</h1>
      <p class="lead">
        An access token lets your own programs manage names under{' '}
        <span class="mono">{props.baseDomain}</span> without you clicking through these pages: a
        script or pipeline through the <a href="/docs/api">REST API</a>, a home server that keeps
        its name pointing at a changing address, or certbot, lego, Caddy and cert-manager renewing
        certificates on their own. Treat a token like a password.
      </p>
      {props.notice && (
        <p class="alert ok" role="status">
          {props.notice}
        </p>
      )}
      {props.created && <CreatedToken {...props.created} />}
      {hasErrors || props.tokens.length === 0 ? (
        <>
          {form}
          {list}
        </>
      ) : (
        <>
          {list}
          {form}
        </>
      )}
    </>
  );
}

/**
 * Revoke confirmation: the page without JavaScript (a POST without confirm=yes lands here too), and
 * (`dialog`) the same question in app.js's <dialog>.
 */
export function ConfirmRevokePage(props: {
  token: TokenView;
  csrf: string;
  action: string;
  cancelHref: string;
  owner?: string;
  dialog?: boolean;
}) {
  const t = props.token;
  const Title = props.dialog ? 'h2' : 'h1';
  return (
    <section class="card narrow confirm" aria-labelledby="confirm-title">
      <Title id="confirm-title">Revoke token</Title>
      <p>
        Revoke <strong>{t.name}</strong> <span class="mono muted">(stc_{t.public_id}…)</span>
        {props.owner ? ` of ${props.owner}` : ''}? Programs using it stop working at once. You can't
        undo this.
      </p>
      <form method="post" action={props.action} class="actions">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Revoke
        </button>
        <a class="btn secondary" href={props.cancelHref} data-close={props.dialog ? '' : undefined}>
          Cancel
        </a>
      </form>
    </section>
  );
}
