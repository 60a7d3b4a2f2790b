/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';

/**
 * The design system's table: a plain <table> on wide screens that becomes a labelled list on phones.
 * Below 40rem app.css (`table.responsive`) hides the head and shows each cell as a row of its own,
 * labelled by its `data-label`, which this component writes from the column's header, so a label
 * and its header can never disagree.
 *
 * The records list is the exception: its rows are written with markup`` for the page's size budget and
 * its phone labels come from app.css (table.records), not from the cells.
 */
export interface Column<T> {
  /** The header text, and the cell's label on phones. */
  label: string;
  /** The header is read by screen readers only (an actions column); the phone label stays. */
  hideLabel?: boolean;
  /** false: the cell has no phone label (its content says what it is, e.g. a Revoke button). */
  phoneLabel?: boolean;
  /** Class of every cell in the column (nowrap, record-name…), or per row. */
  class?: string | ((row: T) => string | undefined);
  /** Class of the header cell: a width hint such as nowrap. */
  headClass?: string;
  cell: (row: T) => unknown;
}

type RowAttributes = Record<string, string | undefined>;

export function DataTable<T>(props: {
  columns: readonly Column<T>[];
  rows: readonly T[];
  /** Classes after `responsive`: the table's name for its own rules (audit, tokens, check…). */
  class?: string;
  id?: string;
  /** What the table shows, for screen readers and (unless hidden by the caller's class) everyone. */
  caption?: unknown;
  /** Shown instead of the table when there are no rows: a sentence (as a hint) or an element. */
  empty?: unknown;
  /** Attributes of each row (id, class, data-*), in the order given. */
  row?: (row: T) => RowAttributes;
}) {
  if (props.rows.length === 0 && props.empty !== undefined)
    return typeof props.empty === 'string' ? <p class="hint">{props.empty}</p> : <>{props.empty}</>;
  const cls = props.class ? `responsive ${props.class}` : 'responsive';
  return (
    <table class={cls} id={props.id}>
      {props.caption !== undefined && <caption>{props.caption}</caption>}
      <thead>
        <tr>
          {props.columns.map((col) => (
            <th scope="col" class={col.headClass}>
              {col.hideLabel ? <span class="visually-hidden">{col.label}</span> : col.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr {...(props.row?.(r) ?? {})}>
            {props.columns.map((col) => (
              <td
                data-label={col.phoneLabel === false ? undefined : col.label}
                class={typeof col.class === 'function' ? col.class(r) : col.class}
              >
                {col.cell(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
