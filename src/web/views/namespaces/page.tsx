/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/**
 * The shared-namespace pages (issue 20, decision 0026): the list of the person's namespaces, the
 * creation form, one namespace (overview, members, linked groups, its records read-only) and the
 * confirmations of its removals. Plain forms and links; app.js only shows confirmations in a <dialog>.
 */
import type { Child } from 'hono/jsx';
import type { Namespace, NamespaceRole } from '../../../db/schema.js';
import type { NamespaceMember } from '../../../domain/namespaces/namespaces.js';
import { type Column, DataTable } from '../table.js';
import { Icon } from '../icons.js';

const fmtDay = (ms: number | null) =>
  ms === null ? null : new Date(ms).toISOString().slice(0, 10);

export type FormErrors = Record<string, string | undefined>;

function FieldError(props: { id: string; message?: string | undefined }) {
  return (
    <p class="field-error" id={`err-${props.id}`} role={props.message ? 'alert' : undefined}>
      {props.message ?? ''}
    </p>
  );
}

const described = (id: string, hasHint: boolean, error?: string) => ({
  'aria-invalid': error ? 'true' : undefined,
  'aria-describedby': hasHint ? `hint-${id} err-${id}` : `err-${id}`,
});

const ROLE_HELP: Record<NamespaceRole, string> = {
  owner: 'manages members and records',
  editor: 'changes records',
  viewer: 'sees records',
};

export function RoleBadge(props: { role: NamespaceRole }) {
  return (
    <span class={props.role === 'owner' ? 'badge info' : 'badge'} title={ROLE_HELP[props.role]}>
      {props.role}
    </span>
  );
}

function Notice(props: { message: string | null }) {
  return props.message ? (
    <p class="alert ok" role="status">
      {props.message}
    </p>
  ) : null;
}

function FormError(props: { message: string | null }) {
  return props.message ? (
    <p class="alert error" role="alert">
      {props.message}
    </p>
  ) : null;
}

/* ---------- /namespaces ---------- */

export interface NamespaceListItem extends Namespace {
  role: NamespaceRole;
}

export function NamespacesPage(props: {
  root: string;
  namespaces: NamespaceListItem[];
  canCreate: boolean;
  notice: string | null;
}) {
  const columns: Column<NamespaceListItem>[] = [
    {
      label: 'Namespace',
      cell: (n) => (
        <a class="mono" href={`/namespaces/${n.id}`}>
          {n.label}.{props.root}
        </a>
      ),
    },
    { label: 'Your role', cell: (n) => <RoleBadge role={n.role} /> },
    {
      label: 'Description',
      cell: (n) => (n.description ? n.description : <span class="muted">—</span>),
    },
    {
      label: 'End of term',
      class: 'nowrap',
      cell: (n) => fmtDay(n.ends_at) ?? <span class="muted">none</span>,
    },
  ];
  return (
    <>
      <div class="page-head">
        <h1>Namespaces</h1>
        {props.canCreate && (
          <a class="btn" href="/namespaces/new">
            New namespace
          </a>
        )}
      </div>
      <p class="lead">
        A namespace is a name directly under <span class="mono nowrap">{props.root}</span> that a
        group of people share, such as a course or a club.
      </p>
      <Notice message={props.notice} />
      <DataTable
        class="namespaces"
        columns={columns}
        rows={props.namespaces}
        empty={
          <div class="empty" id="namespaces-empty">
            <Icon name="users" />
            <h2>You are not in any namespace yet</h2>
            <p>
              Your own records live under your username. A namespace, like{' '}
              <span class="mono nowrap">osd700.{props.root}</span>, belongs to a team instead: a
              course, a club or a lab. Its records stay when one member leaves.
            </p>
            {props.canCreate ? (
              <p>
                <a class="btn" href="/namespaces/new">
                  Create a namespace
                </a>
              </p>
            ) : (
              <p>
                Your instructor creates a namespace and adds you to it. It shows up here as soon as
                you are added.
              </p>
            )}
          </div>
        }
      />
    </>
  );
}

/* ---------- /namespaces/new ---------- */

export interface NewNamespaceValues {
  label: string;
  description: string;
  recordLimit: string;
  endsAt: string;
}

export const emptyNamespaceForm: NewNamespaceValues = {
  label: '',
  description: '',
  recordLimit: '',
  endsAt: '',
};

export function NewNamespacePage(props: {
  root: string;
  csrf: string;
  values: NewNamespaceValues;
  errors: FormErrors;
  formError: string | null;
  defaultLimit: number | null;
}) {
  const { values: v, errors: e } = props;
  return (
    <>
      <p class="back">
        <a href="/namespaces">← Namespaces</a>
      </p>
      <h1>New namespace</h1>
      <p class="lead">
        You become its first owner. Add the other people, or link a sign-in group, on the next page.
      </p>
      <section class="card narrow">
        <form class="stack" method="post" action="/namespaces" novalidate>
          <input type="hidden" name="_csrf" value={props.csrf} />
          <FormError message={props.formError} />
          <div>
            <label for="ns-label">Name</label>
            <div class="addon">
              <input
                id="ns-label"
                name="label"
                value={v.label}
                required
                maxlength={63}
                autocomplete="off"
                autocapitalize="none"
                spellcheck={false}
                {...described('label', true, e.label)}
              />
              <span class="mono">.{props.root}</span>
            </div>
            <p class="hint" id="hint-label">
              Lowercase letters, numbers and hyphens, for example <code>osd700</code> or{' '}
              <code>robotics-club</code>. It cannot be changed later.
            </p>
            <FieldError id="label" message={e.label} />
          </div>
          <div>
            <label for="ns-description">
              Description <span class="muted">(optional)</span>
            </label>
            <textarea
              id="ns-description"
              name="description"
              rows={2}
              maxlength={500}
              {...described('description', true, e.description)}
            >
              {v.description}
            </textarea>
            <p class="hint" id="hint-description">
              What it is for, so members recognise it: “OSD700, Winter 2027 projects”.
            </p>
            <FieldError id="description" message={e.description} />
          </div>
          <div>
            <label for="ns-limit">
              Record limit <span class="muted">(optional)</span>
            </label>
            <input
              id="ns-limit"
              name="recordLimit"
              class="short"
              value={v.recordLimit}
              inputmode="numeric"
              maxlength={5}
              {...described('recordLimit', true, e.recordLimit)}
            />
            <p class="hint" id="hint-recordLimit">
              How many DNS records the namespace may have, from 1 to 10000.{' '}
              {props.defaultLimit === null
                ? 'Empty: no limit.'
                : `Empty: ${props.defaultLimit}, like a person’s account.`}
            </p>
            <FieldError id="recordLimit" message={e.recordLimit} />
          </div>
          <div>
            <label for="ns-ends">
              End of term <span class="muted">(optional)</span>
            </label>
            <input
              id="ns-ends"
              name="endsAt"
              type="date"
              class="date"
              value={v.endsAt}
              {...described('endsAt', true, e.endsAt)}
            />
            <p class="hint" id="hint-endsAt">
              The namespace’s records expire no later than this day; its owners are reminded before.
            </p>
            <FieldError id="endsAt" message={e.endsAt} />
          </div>
          <div class="btn-group">
            <button type="submit">Create namespace</button>
            <a class="btn secondary" href="/namespaces">
              Cancel
            </a>
          </div>
        </form>
      </section>
    </>
  );
}

/* ---------- /namespaces/:id ---------- */

export type MemberView = NamespaceMember;

export interface RecordView {
  id: number;
  subdomain: string;
  type: string;
  value: string;
  expires_at: number;
}

export interface SubForm {
  values: Record<string, string>;
  errors: FormErrors;
  formError: string | null;
}

export const emptySubForm = (values: Record<string, string>): SubForm => ({
  values,
  errors: {},
  formError: null,
});

export interface NamespacePageProps {
  root: string;
  csrf: string;
  namespace: Namespace;
  role: NamespaceRole;
  /** The viewer's own user id (to offer "Leave" on their own direct membership). */
  me: number;
  /** The viewer is an admin who is not a member: they see it as an owner. */
  adminView: boolean;
  people: MemberView[];
  groups: { group_name: string; role: NamespaceRole }[];
  records: RecordView[];
  recordLimit: number | null;
  notice: string | null;
  memberForm: SubForm;
  groupForm: SubForm;
}

function RoleSelect(props: { id: string; value: string; error?: string | undefined }) {
  return (
    <select id={props.id} name="role" {...described(props.id, false, props.error)}>
      {(['viewer', 'editor', 'owner'] as const).map((r) => (
        <option value={r} selected={props.value === r}>
          {r[0]!.toUpperCase() + r.slice(1)}
        </option>
      ))}
    </select>
  );
}

/** An owner's one-field form with a role (add a person, link a group): field, role, submit, hint. */
function OwnerForm(props: {
  action: string;
  title: string;
  field: 'member' | 'group';
  label: string;
  maxlength: number;
  defaultRole: NamespaceRole;
  button: string;
  csrf: string;
  form: SubForm;
  hint: Child;
}) {
  const f = props.form;
  const id = props.field;
  return (
    <form
      class="card add-form"
      method="post"
      action={props.action}
      novalidate
      aria-labelledby={`${id}-form-title`}
    >
      <h3 id={`${id}-form-title`}>{props.title}</h3>
      <input type="hidden" name="_csrf" value={props.csrf} />
      <FormError message={f.formError} />
      <div class="form-row">
        <div class="grow">
          <label for={id}>{props.label}</label>
          <input
            id={id}
            name={id}
            value={f.values[id] ?? ''}
            required
            maxlength={props.maxlength}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            {...described(id, true, f.errors[id])}
          />
        </div>
        <div>
          <label for={`${id}-role`}>Role</label>
          <RoleSelect
            id={`${id}-role`}
            value={f.values.role ?? props.defaultRole}
            error={f.errors.role}
          />
        </div>
        <div class="form-row-submit">
          <button type="submit">{props.button}</button>
        </div>
      </div>
      <p class="hint" id={`hint-${id}`}>
        {props.hint}
      </p>
      <FieldError id={id} message={f.errors[id]} />
      <FieldError id={`${id}-role`} message={f.errors.role} />
    </form>
  );
}

const recordName = (subdomain: string, base: string) =>
  subdomain === '' || subdomain === '@' ? base : `${subdomain}.${base}`;

export function NamespacePage(props: NamespacePageProps) {
  const ns = props.namespace;
  const base = `${ns.label}.${props.root}`;
  const owner = props.role === 'owner';
  const me = props.people.find((p) => p.userId === props.me);
  // The one owner by direct grant cannot be removed (the domain refuses it): no button to press.
  const ownerGroups = new Set(
    props.groups.filter((g) => g.role === 'owner').map((g) => g.group_name),
  );
  const soleOwner = (p: MemberView) =>
    p.direct === 'owner' &&
    !p.groups.some((g) => ownerGroups.has(g)) &&
    props.people.filter((x) => x.role === 'owner').length === 1;

  const memberColumns: Column<MemberView>[] = [
    {
      label: 'Person',
      cell: (p) => (
        <span class="person">
          <strong>{p.displayName || p.username}</strong>{' '}
          <span class="mono muted">{p.username}</span>
          {p.userId === props.me && <span class="muted"> (you)</span>}
        </span>
      ),
    },
    { label: 'Role', cell: (p) => <RoleBadge role={p.role} /> },
    {
      label: 'Via',
      cell: (p) => (
        <span>
          {[
            ...(p.direct
              ? [p.groups.length ? `added directly (${p.direct})` : 'added directly']
              : []),
            ...p.groups.map((g) => `group ${g}`),
          ].join(', ')}
        </span>
      ),
    },
    ...(owner
      ? [
          {
            label: 'Actions',
            hideLabel: true,
            phoneLabel: false,
            class: 'row-actions',
            cell: (p: MemberView) =>
              soleOwner(p) ? (
                <span class="hint">only owner</span>
              ) : p.direct ? (
                <a
                  class="btn secondary small"
                  href={`/namespaces/${ns.id}/members/${p.userId}/remove`}
                  data-dialog=""
                  aria-label={`Remove ${p.displayName || p.username}`}
                >
                  Remove…
                </a>
              ) : (
                <span class="hint">through a group</span>
              ),
          } satisfies Column<MemberView>,
        ]
      : []),
  ];

  const groupColumns: Column<{ group_name: string; role: NamespaceRole }>[] = [
    { label: 'Group', cell: (g) => <span class="mono">{g.group_name}</span> },
    { label: 'Role', cell: (g) => <RoleBadge role={g.role} /> },
    ...(owner
      ? [
          {
            label: 'Actions',
            hideLabel: true,
            phoneLabel: false,
            class: 'row-actions',
            cell: (g: { group_name: string }) => (
              <a
                class="btn secondary small"
                href={`/namespaces/${ns.id}/groups/unlink?group=${encodeURIComponent(g.group_name)}`}
                data-dialog=""
                aria-label={`Unlink ${g.group_name}`}
              >
                Unlink…
              </a>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <p class="back">
        <a href="/namespaces">← Namespaces</a>
      </p>
      <div class="page-head">
        <h1 class="mono ns-title">{base}</h1>
        {me?.direct && !owner && (
          <a class="btn secondary" href={`/namespaces/${ns.id}/leave`} data-dialog="">
            Leave namespace…
          </a>
        )}
        {ns.description && <p class="lead">{ns.description}</p>}
      </div>
      <Notice message={props.notice} />
      {ns.orphaned_at !== null && (
        <p class="alert error">This namespace has no owner left. An administrator can add one.</p>
      )}
      <dl class="facts ns-facts">
        <dt>Your role</dt>
        <dd>
          <RoleBadge role={props.role} />{' '}
          <span class="muted">
            {props.adminView ? 'as an administrator' : ROLE_HELP[props.role]}
          </span>
        </dd>
        <dt>End of term</dt>
        <dd>
          {fmtDay(ns.ends_at) ?? <span class="muted">none</span>}
          {ns.ends_at !== null && (
            <span class="muted"> — records expire no later than this day</span>
          )}
        </dd>
        <dt>Records</dt>
        <dd>
          {props.records.length}
          {props.recordLimit !== null && ` of ${props.recordLimit}`}
        </dd>
      </dl>

      <section class="ns-section" aria-labelledby="members-title" id="members">
        <h2 id="members-title">Members</h2>
        <DataTable
          class="ns-members"
          columns={memberColumns}
          rows={props.people}
          empty="No members."
        />
        {owner && (
          <OwnerForm
            action={`/namespaces/${ns.id}/members#members`}
            title="Add a person"
            field="member"
            label="Username or email"
            maxlength={255}
            defaultRole="editor"
            button="Add"
            csrf={props.csrf}
            form={props.memberForm}
            hint={
              <>
                They must have signed in once. Viewers see the records, editors change them, owners
                also manage members. Adding someone already here changes their role.
              </>
            }
          />
        )}
      </section>

      <section class="ns-section" aria-labelledby="groups-title" id="groups">
        <h2 id="groups-title">Linked groups</h2>
        <p class="hint">
          Everyone in a linked sign-in group is a member. People who leave the group lose access the
          next time they sign in.
        </p>
        <DataTable
          class="ns-groups"
          columns={groupColumns}
          rows={props.groups}
          empty="No groups linked."
        />
        {owner && (
          <OwnerForm
            action={`/namespaces/${ns.id}/groups#groups`}
            title="Link a group"
            field="group"
            label="Group name"
            maxlength={191}
            defaultRole="viewer"
            button="Link"
            csrf={props.csrf}
            form={props.groupForm}
            hint={
              <>
                The name exactly as your organisation’s sign-in sends it, for example{' '}
                <code>osd700-winter-2027</code>. Everyone in it gets the role chosen here.
              </>
            }
          />
        )}
      </section>

      <section class="ns-section" aria-labelledby="records-title" id="records">
        <h2 id="records-title">Records</h2>
        <DataTable
          class="ns-records"
          columns={[
            {
              label: 'Name',
              class: 'mono',
              cell: (r: RecordView) => recordName(r.subdomain, base),
            },
            { label: 'Type', cell: (r: RecordView) => r.type },
            { label: 'Value', class: 'mono ns-value', cell: (r: RecordView) => r.value },
            { label: 'Expires', class: 'nowrap', cell: (r: RecordView) => fmtDay(r.expires_at) },
          ]}
          rows={props.records}
          empty={`No records under ${base} yet.`}
        />
      </section>
    </>
  );
}

/** A confirmation (the page without JavaScript, or the question in app.js's <dialog>). */
export function ConfirmAction(props: {
  title: string;
  question: unknown;
  action: string;
  button: string;
  cancelHref: string;
  csrf: string;
  danger?: boolean;
  dialog?: boolean;
}) {
  const Title = props.dialog ? 'h2' : 'h1';
  return (
    <section class="card narrow confirm" aria-labelledby="confirm-title">
      <Title id="confirm-title">{props.title}</Title>
      <p>{props.question}</p>
      <form method="post" action={props.action} class="actions">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class={props.danger === false ? undefined : 'danger'}>
          {props.button}
        </button>
        <a class="btn secondary" href={props.cancelHref} data-close={props.dialog ? '' : undefined}>
          Cancel
        </a>
      </form>
    </section>
  );
}
