/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h, markup } from '../jsx/runtime.js';
/**
 * /dns-records pages (paths kept from the original). Thin edges: parse input, take the effective
 * user from the session, call one domain function, render. Forms work as plain POST → redirect;
 * htmx requests get fragments (rows, status cells, the form) instead of whole pages.
 */
import { type Context, Hono } from 'hono';
import type { Container } from '../../container.js';
import {
  type Actor,
  type DnsRecordDeps,
  baseDomainOf,
  createDnsRecord,
  deleteDnsRecord,
  getDnsRecord,
  getDnsRecordStatuses,
  listDnsRecords,
  parseRecordId,
  parseRecordIds,
  renewDnsRecord,
  searchDnsRecords,
  updateDnsRecord,
  validateDnsRecordDraft,
} from '../../domain/dns-records/dns-records.js';
import { listClientChallenges } from '../../domain/dns-records/client-challenges.js';
import { listTokens } from '../../domain/tokens/tokens.js';
import {
  type FieldErrors,
  emptyForm,
  recordToForm,
  toRecordForm,
} from '../../domain/dns-records/rules.js';
import type { RecordForm } from '../../domain/dns-records/types.js';
import { AppError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, pageHtml, renderConfirmation, renderPage } from '../render.js';
import { sendHtml } from '../middleware/compression.js';
import { RenderedPages } from '../page-cache.js';
import { FieldError, RecordFormPage, RecordFormView } from '../views/dns-records/form.js';
import { InstructionsPage } from '../views/dns-records/instructions.js';
import {
  ConfirmDeletePage,
  DnsRecordsPage,
  ExpiryCell,
  RecordCount,
  RecordsRegion,
  RecordsStatus,
  recordsStatusText,
  StatusCell,
  StatusPoller,
  Toast,
} from '../views/dns-records/list.js';
import {
  DEFAULT_LIST_QUERY,
  type RawListQuery,
  type RecordListQuery,
  listQueryString,
  parseRecordListQuery,
  relativeExpiry,
} from '../../domain/dns-records/record-list.js';
import { longDate } from '../../time-format.js';
import { readForm } from '../form.js';
import { OnBehalfNote } from '../views/admin/user.js';
import { queryPage } from '../query.js';

const NOTICES: Record<string, string> = {
  created: 'DNS record created. It will be live in a moment.',
  updated: 'DNS record updated.',
  deleted: 'DNS record deleted. The name stops resolving in a moment.',
};

type Ctx = Context<AppEnv>;

const isHtmx = (c: Ctx) => c.req.header('hx-request') === 'true';

export function dnsRecordRoutes(container: Container, shell: PageShell) {
  const { config } = container;
  const deps: DnsRecordDeps = {
    db: container.dbh.db,
    config,
    clock: container.clock,
    queue: container.queue,
    logger: container.logger,
  };
  const app = new Hono<AppEnv>();
  // The records page as last rendered for each session and URL (this instance's; see RenderedPages).
  const pages = new RenderedPages();
  app.use('/dns-records', requireUser);
  app.use('/dns-records/*', requireUser);

  const actor = (c: Ctx): Actor => {
    const s = c.get('session')!;
    return { user: s.user, effectiveUser: s.effectiveUser, requestId: c.get('requestId') };
  };
  const owner = (c: Ctx) => c.get('session')!.effectiveUser;
  const base = (c: Ctx) => baseDomainOf(owner(c), config.rootDomain);
  const done = (c: Ctx, what: keyof typeof NOTICES) => {
    const to = `/dns-records?done=${what}`;
    if (isHtmx(c)) {
      c.header('HX-Redirect', to);
      return c.body(null, 204);
    }
    return c.redirect(to, 303);
  };

  const renderForm = (
    c: Ctx,
    mode: 'create' | 'edit',
    action: string,
    values: RecordForm,
    errors: FieldErrors,
    formError: string | null,
    status: number,
  ) => {
    const props = {
      mode,
      action,
      values,
      errors,
      formError,
      baseDomain: base(c),
      csrf: c.get('csrfToken'),
      checkHref: mode === 'edit' ? `${action}/check` : null,
    };
    // htmx only swaps 2xx responses: the fragment goes back as 200, plain posts get the real status.
    if (isHtmx(c)) return c.html(<RecordFormView {...props} />, 200);
    // An admin impersonating someone is told whose record this is (issue 19).
    const s = c.get('session')!;
    return renderPage(
      c,
      shell,
      mode === 'create' ? 'Create DNS Record' : 'Edit DNS Record',
      <>
        {s.impersonating && <OnBehalfNote user={s.effectiveUser} mode={mode} />}
        <RecordFormPage {...props} />
      </>,
      status,
    );
  };

  const formFailure = (
    c: Ctx,
    e: unknown,
    mode: 'create' | 'edit',
    action: string,
    values: RecordForm,
  ) => {
    if (e instanceof AppError && e.code === 'INVALID_INPUT')
      return renderForm(c, mode, action, values, e.fields, e.message, 400);
    if (e instanceof AppError && e.code === 'LIMIT_EXCEEDED')
      return renderForm(c, mode, action, values, {}, e.message, 409);
    throw e;
  };

  const rawQuery = (get: (name: string) => string | undefined): RawListQuery => ({
    q: get('q'),
    type: get('type'),
    sort: get('sort'),
  });
  const renewedMessage = (r: { subdomain: string; expires_at: number }, c: Ctx) =>
    `Renewed ${r.subdomain}.${base(c)}: expires ${longDate(r.expires_at)} (${relativeExpiry(r.expires_at, container.clock.now())}).`;

  app.get('/dns-records', async (c) => {
    const raw = rawQuery((n) => c.req.query(n));
    let query: RecordListQuery = DEFAULT_LIST_QUERY;
    let queryErrors: Record<string, string> | null = null;
    try {
      query = parseRecordListQuery(raw, base(c));
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'INVALID_INPUT')) throw e;
      queryErrors = e.fields;
    }
    const list = await searchDnsRecords(deps, owner(c), query, queryPage(c));
    const props = {
      records: queryErrors ? [] : list.records,
      baseDomain: base(c),
      csrf: c.get('csrfToken'),
      total: list.total,
      all: list.all,
      limit: list.limit,
      page: list.page,
      pages: list.pages,
      query,
      queryErrors,
      notice: null as string | null,
      now: container.clock.now(),
      reminderThresholdsDays: config.reminderThresholdsDays,
    };
    // The filters' htmx request: only the records region (a history restore wants the whole page).
    c.header('Vary', 'HX-Request');
    if (isHtmx(c) && c.req.header('hx-history-restore-request') !== 'true')
      return c.html(
        <>
          <RecordsRegion {...props} />
          <RecordsStatus text={recordsStatusText(props)} oob />
        </>,
      );
    const done = c.req.query('done') ?? '';
    let notice = NOTICES[done] ?? null;
    if (done === 'renewed') {
      const id = c.req.query('id');
      const r = id ? await getDnsRecord(deps, owner(c), parseRecordId(id)).catch(() => null) : null;
      notice = r ? renewedMessage(r, c) : 'DNS record renewed.';
    }
    const challenges = await listClientChallenges(deps, owner(c));
    // Which token wrote each value, by name (only looked up when there is something to show).
    const tokenNames =
      challenges.length === 0
        ? new Map<number, string>()
        : new Map((await listTokens(deps, owner(c))).map((t) => [Number(t.id), t.name]));
    const s = c.get('session')!;
    // Everything the page shows besides the nonce, as read for this request (see RenderedPages): the
    // rows, counts and challenges, whose session and user it is (the header, the CSRF token), the
    // footer's year, and the minute (expiry in words, "expiring soon" badges: at most a minute behind).
    const inputs = [
      props.records,
      props.total,
      props.all,
      props.limit,
      props.page,
      props.pages,
      query,
      queryErrors,
      raw,
      notice,
      challenges,
      [...tokenNames],
      s.csrfToken,
      c.get('csrfToken'),
      s.user,
      s.effectiveUser,
      s.impersonating,
      shell.footer?.copyright(),
      Math.floor(props.now / 60_000),
    ];
    const { html, digest } = pages.page(`${s.id}\n${c.req.url}`, inputs, c.get('nonce'), () =>
      pageHtml(
        c,
        shell,
        'DNS Records',
        <DnsRecordsPage
          {...props}
          raw={raw}
          notice={notice}
          challenges={challenges}
          tokenNames={tokenNames}
        />,
      ),
    );
    // Names what the page shows (it changes with any of it). Pages are no-store, so nothing revalidates
    // with it; it says whether two responses show the same thing, the nonce aside.
    if (digest) c.header('ETag', `W/"${digest}"`);
    return sendHtml(c, html, queryErrors ? 400 : 200);
  });

  app.get('/dns-records/instructions', (c) =>
    renderPage(
      c,
      shell,
      'DNS Record instructions',
      <InstructionsPage baseDomain={base(c)} productName={config.productName} />,
    ),
  );

  app.get('/dns-records/new', (c) =>
    renderForm(c, 'create', '/dns-records/new', emptyForm(), {}, null, 200),
  );

  app.post('/dns-records/new', async (c) => {
    const b = await readForm(c);
    try {
      await createDnsRecord(deps, actor(c), b);
      return done(c, 'created');
    } catch (e) {
      return formFailure(c, e, 'create', '/dns-records/new', toRecordForm(b));
    }
  });

  // Inline validation (htmx): field errors swapped out of band; only filled-in fields are judged.
  app.post('/dns-records/validate', async (c) => {
    const b = await readForm(c);
    const form = toRecordForm(b);
    const rawId = typeof b.id === 'string' && b.id !== '' ? b.id : null;
    let editing: number | null = null;
    if (rawId !== null) editing = (await getDnsRecord(deps, owner(c), parseRecordId(rawId))).id;
    const errors = await validateDnsRecordDraft(deps, owner(c), b, editing);
    const shown = Object.keys(form).filter(
      (f) => form[f as keyof RecordForm].trim() !== '' || (f === 'type' && form.value !== ''),
    ) as (keyof RecordForm)[];
    return c.html(
      <>
        {(Object.keys(emptyForm()) as (keyof RecordForm)[]).map((f) => (
          <FieldError field={f} message={shown.includes(f) ? errors[f] : undefined} oob />
        ))}
      </>,
    );
  });

  /**
   * Renew. The page's Renew buttons share one form (`record` names it; the list's query rides
   * along). htmx: the row's expiry cell and the toast, out of band, so focus stays on the button.
   * Without JavaScript: back to the list as it was, at the row, with the message.
   */
  const renew = async (c: Ctx, rawId: string | undefined, b: Record<string, unknown>) => {
    const r = await renewDnsRecord(deps, actor(c), parseRecordId(rawId));
    if (isHtmx(c))
      return c.html(
        <>
          <template>
            {ExpiryCell({
              expiresAt: r.expires_at,
              now: container.clock.now(),
              reminderThresholdsDays: config.reminderThresholdsDays,
              oobRow: r.id,
            })}
          </template>
          <Toast message={renewedMessage(r, c)} oob />
        </>,
      );
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    let back = '';
    try {
      const q = parseRecordListQuery(
        { q: str(b.q), type: str(b.type), sort: str(b.sort) },
        base(c),
      );
      const page = Number(str(b.page));
      back = listQueryString(q, Number.isSafeInteger(page) && page > 1 ? page : 1).replace(
        '?',
        '&',
      );
    } catch {
      back = '';
    }
    return c.redirect(`/dns-records?done=renewed&id=${r.id}${back}#r${r.id}`, 303);
  };
  app.post('/dns-records/renew', async (c) => {
    const b = await readForm(c);
    return renew(c, typeof b.record === 'string' ? b.record : undefined, b);
  });
  app.post('/dns-records/:id/renew', async (c) => renew(c, c.req.param('id'), await readForm(c)));

  // The page's status poller: the next poller (if any are still pending), and every asked-about cell
  // for an out-of-band swap by id. The cells are wrapped in a <template>: parsed after the poller's
  // <div> they would be dropped (table cells are only valid in a row). Registered before /dns-records/:id.
  app.get('/dns-records/status', async (c) => {
    const rows = await getDnsRecordStatuses(deps, owner(c), parseRecordIds(c.req.query('ids')));
    c.header('Cache-Control', 'no-store');
    const pending = rows.filter((r) => r.status === 'pending').map((r) => r.id);
    const cells = rows.map((r) => StatusCell({ record: r, oob: true }));
    return c.html(markup`${StatusPoller({ ids: pending })}<template>${cells}</template>`);
  });

  // One record's status cell. The page no longer polls it (StatusPoller asks about all at once); it
  // stays for pages rendered before that change, whose pending cells still poll here until swapped.
  app.get('/dns-records/:id/status', async (c) => {
    const r = await getDnsRecord(deps, owner(c), parseRecordId(c.req.param('id')));
    c.header('Cache-Control', 'no-store');
    return c.html(<StatusCell record={r} />);
  });

  app.get('/dns-records/:id', async (c) => {
    const r = await getDnsRecord(deps, owner(c), parseRecordId(c.req.param('id')));
    return renderForm(c, 'edit', `/dns-records/${r.id}`, recordToForm(r), {}, null, 200);
  });

  app.post('/dns-records/:id', async (c) => {
    const id = parseRecordId(c.req.param('id'));
    const b = await readForm(c);
    try {
      await updateDnsRecord(deps, actor(c), id, b);
      return done(c, 'updated');
    } catch (e) {
      return formFailure(c, e, 'edit', `/dns-records/${id}`, toRecordForm(b));
    }
  });

  app.get('/dns-records/:id/delete', async (c) => {
    const r = await getDnsRecord(deps, owner(c), parseRecordId(c.req.param('id')));
    const props = { record: r, baseDomain: base(c), csrf: c.get('csrfToken') };
    // app.js asks for the question (HX-Request) to show it in a <dialog>.
    return renderConfirmation(c, shell, 'Delete DNS Record', (dialog) => (
      <ConfirmDeletePage {...props} dialog={dialog} />
    ));
  });

  app.post('/dns-records/:id/delete', async (c) => {
    const id = parseRecordId(c.req.param('id'));
    const b = await readForm(c);
    if (b.confirm !== 'yes') {
      // Not confirmed (an old page, or a form without the field): ask on a page first.
      const r = await getDnsRecord(deps, owner(c), id);
      return renderPage(
        c,
        shell,
        'Delete DNS Record',
        <ConfirmDeletePage record={r} baseDomain={base(c)} csrf={c.get('csrfToken')} />,
      );
    }
    const r = await getDnsRecord(deps, owner(c), id);
    await deleteDnsRecord(deps, actor(c), id);
    if (isHtmx(c)) {
      // From the dialog: the row goes, the count and the toast change; the page stays.
      const left = await listDnsRecords(deps, owner(c), 1, 1);
      if (left.total === 0) {
        c.header('HX-Redirect', '/dns-records?done=deleted');
        return c.body(null, 204);
      }
      return c.html(
        <>
          <template>
            <tr id={`r${id}`} hx-swap-oob="delete"></tr>
          </template>
          <RecordCount all={left.total} limit={left.limit} oob />
          <Toast message={`Deleted ${r.subdomain}.${base(c)}.`} oob />
        </>,
      );
    }
    return c.redirect('/dns-records?done=deleted', 303);
  });

  return app;
}
