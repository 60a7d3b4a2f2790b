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

const labelColumns = (csrf: string): Column<BlockedLabel>[] => [
  { label: 'Label', class: 'mono', cell: (l) => l.label },
  { label: 'Reason', cell: (l) => l.reason ?? '' },
  { label: 'Since', cell: (l) => new Date(l.created_at).toISOString().slice(0, 10) },
  {
    label: 'Actions',
    hideLabel: true,
    cell: (l) => (
      <form
        class="inline"
        method="post"
        action={`/admin/blocked-labels/${encodeURIComponent(l.label)}/unblock`}
      >
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit" class="secondary small" aria-label={`Unblock ${l.label}`}>
          Unblock
        </button>
      </form>
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
      <DataTable
        columns={labelColumns(props.csrf)}
        rows={props.labels}
        empty="No labels are blocked."
      />
    </>
  );
}
