/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import { type Column, DataTable } from '../table.js';

interface BlockedLabel {
  label: string;
  reason: string | null;
  created_at: number;
}

const labelColumns: Column<BlockedLabel>[] = [
  { label: 'Label', class: 'mono', cell: (l) => l.label },
  { label: 'Reason', cell: (l) => l.reason ?? '' },
  { label: 'Since', cell: (l) => new Date(l.created_at).toISOString().slice(0, 10) },
  {
    label: 'Actions',
    hideLabel: true,
    cell: (l) => (
      // The confirmation page, or its question in a <dialog> (app.js).
      <a
        class="btn secondary small"
        href={`/admin/blocked-labels/${encodeURIComponent(l.label)}/unblock`}
        data-dialog=""
        aria-label={`Unblock ${l.label}`}
      >
        Unblock…
      </a>
    ),
  },
];

export function BlockedLabelsPage(props: {
  labels: BlockedLabel[];
  csrf: string;
  values: { label: string; reason: string };
  errors: Record<string, string>;
  formError: string | null;
  notice: string | null;
}) {
  const e = props.errors;
  return (
    <>
      <p>
        <a href="/admin">← Admin</a>
      </p>
      <h1>Blocked labels</h1>
      <p class="lead">
        Nobody can create or rename a DNS record to a blocked name. Records that already use it stay
        until they are edited or deleted.
      </p>
      {props.notice && (
        <p class="alert ok" role="status">
          {props.notice}
        </p>
      )}
      {props.formError && <p class="alert error">{props.formError}</p>}
      <form method="post" action="/admin/blocked-labels" class="stack card narrow">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <div>
          <label for="label">Label</label>
          <input
            id="label"
            name="label"
            value={props.values.label}
            maxlength={63}
            aria-invalid={e.label ? 'true' : undefined}
            aria-describedby="err-label"
          />
          <p class="field-error" id="err-label">
            {e.label ?? ''}
          </p>
        </div>
        <div>
          <label for="reason">Reason</label>
          <input
            id="reason"
            name="reason"
            value={props.values.reason}
            maxlength={255}
            aria-describedby="err-reason"
          />
          <p class="field-error" id="err-reason">
            {e.reason ?? ''}
          </p>
        </div>
        <p>
          <button type="submit">Block label</button>
        </p>
      </form>
      <DataTable columns={labelColumns} rows={props.labels} empty="No labels are blocked." />
    </>
  );
}

/**
 * Asking before a blocked label is freed: anyone may then create or rename a record to it. The page
 * works without JavaScript; `dialog` is the same question for app.js's <dialog>.
 */
export function ConfirmUnblockPage(props: {
  label: { label: string; reason: string | null; created_at: number };
  csrf: string;
  dialog?: boolean;
}) {
  const l = props.label;
  const Title = props.dialog ? 'h2' : 'h1';
  return (
    <section class="card narrow confirm" aria-labelledby="confirm-title">
      <Title id="confirm-title">Unblock this label?</Title>
      <p>
        Anyone can then create or rename a DNS record to <strong class="mono">{l.label}</strong>{' '}
        again (blocked since {new Date(l.created_at).toISOString().slice(0, 10)}
        {l.reason ? <>: {l.reason}</> : null}).
      </p>
      <form
        method="post"
        action={`/admin/blocked-labels/${encodeURIComponent(l.label)}/unblock`}
        class="actions"
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Unblock {l.label}</button>
        <a
          class="btn secondary"
          href="/admin/blocked-labels"
          data-close={props.dialog ? '' : undefined}
        >
          Cancel
        </a>
      </form>
    </section>
  );
}
