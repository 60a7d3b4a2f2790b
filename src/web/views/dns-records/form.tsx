/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import type { FieldErrors } from '../../../domain/dns-records/rules.js';
import {
  LIMITS,
  RECORD_TYPES,
  type RecordField,
  type RecordForm,
  TYPE_LABELS,
} from '../../../domain/dns-records/types.js';

export interface FormProps {
  mode: 'create' | 'edit';
  action: string;
  values: RecordForm;
  errors: FieldErrors;
  formError: string | null;
  baseDomain: string;
  csrf: string;
  /** Where the Cancel link goes (default /dns-records). */
  cancelHref?: string;
  /** Inline validation endpoint; null turns it off (admin edits of another user's record). */
  validateUrl?: string | null;
  /** The owner's record check page for this record (editing one's own record). */
  checkHref?: string | null;
}

/** A domain name that may wrap before a dot, never inside a label (phones). */
function DottedName(props: { name: string }) {
  return (
    <>
      {props.name.split(/(?=\.)/).map((part, i) => (
        <>
          {i > 0 ? <wbr /> : null}
          {part}
        </>
      ))}
    </>
  );
}

/** The field error slot; always present so inline validation can fill or clear it out of band. */
export function FieldError(props: {
  field: RecordField;
  message?: string | undefined;
  oob?: boolean;
}) {
  return (
    <p
      class="field-error"
      id={`err-${props.field}`}
      role={props.message ? 'alert' : undefined}
      hx-swap-oob={props.oob ? 'true' : undefined}
    >
      {props.message ?? ''}
    </p>
  );
}

const attrs = (field: RecordField, errors: FieldErrors, hint = true) => ({
  id: field,
  name: field,
  'aria-invalid': errors[field] ? 'true' : undefined,
  'aria-describedby': `${hint ? `hint-${field} ` : ''}err-${field}`,
});

/** Create/edit form: plain POST without JavaScript; htmx validates inline and submits in place. */
export function RecordFormView(props: FormProps) {
  const { values: v, errors: e } = props;
  return (
    <form
      class="stack"
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target="this"
      hx-swap="outerHTML"
      novalidate
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.validateUrl !== null && (
        <div
          hidden
          hx-post={props.validateUrl ?? '/dns-records/validate'}
          hx-trigger="input changed delay:500ms from:closest form, change from:closest form"
          hx-include="closest form"
          hx-vals={
            props.mode === 'edit'
              ? JSON.stringify({ id: props.action.split('/').pop() })
              : undefined
          }
          hx-swap="none"
        ></div>
      )}
      {props.formError && (
        <p class="alert error" role="alert">
          {props.formError}
        </p>
      )}
      <div>
        <label for="subdomain">Name</label>
        <div class="addon">
          <input
            {...attrs('subdomain', e)}
            value={v.subdomain}
            required
            maxlength={LIMITS.subdomainMax}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
          />
          <span class="mono">
            <DottedName name={`.${props.baseDomain}`} />
          </span>
        </div>
        <p class="hint" id="hint-subdomain">
          DNS Record Names can contain lowercase letters (a-z), numbers (0-9), and - or _
        </p>
        <FieldError field="subdomain" message={e.subdomain} />
      </div>
      <div>
        <label for="type">Type</label>
        <select {...attrs('type', e)} required>
          <option value="" selected={v.type === ''}>
            Select a type
          </option>
          {RECORD_TYPES.map((t) => (
            <option value={t} selected={v.type === t}>
              {TYPE_LABELS[t]}
            </option>
          ))}
        </select>
        <p class="hint" id="hint-type">
          The type says what the value is: an IPv4 or IPv6 address, another domain name, a mail
          server, or text.
        </p>
        <FieldError field="type" message={e.type} />
      </div>
      <div>
        <label for="value">Value</label>
        <input {...attrs('value', e)} value={v.value} required maxlength={LIMITS.txtMax} />
        <p class="hint" id="hint-value">
          Value must match Type: A = IPv4 (192.0.2.10), AAAA = IPv6 (2001:db8::10), CNAME =
          domain.com, MX = mail.domain.com, TXT = any text.
        </p>
        <FieldError field="value" message={e.value} />
      </div>
      <div>
        <label for="priority">Priority (MX only)</label>
        <input
          {...attrs('priority', e)}
          value={v.priority}
          inputmode="numeric"
          placeholder="10"
          maxlength={5}
        />
        <p class="hint" id="hint-priority">
          Mail servers with lower numbers are tried first. Leave empty for 10.
        </p>
        <FieldError field="priority" message={e.priority} />
      </div>
      <div>
        <label for="ports">Ports</label>
        <input {...attrs('ports', e)} value={v.ports} maxlength={LIMITS.portsMax} />
        <p class="hint" id="hint-ports">
          Enter one or more Ports in use, separated by comma (e.g., 8080, 1234)
        </p>
        <FieldError field="ports" message={e.ports} />
      </div>
      <div>
        <label for="course">Course</label>
        <input {...attrs('course', e)} value={v.course} maxlength={LIMITS.courseMax} />
        <p class="hint" id="hint-course">
          Course name using this DNS Record (e.g., OSD700)
        </p>
        <FieldError field="course" message={e.course} />
      </div>
      <div>
        <label for="description">Description</label>
        <textarea {...attrs('description', e, false)} rows={4} maxlength={LIMITS.descriptionMax}>
          {v.description}
        </textarea>
        <FieldError field="description" message={e.description} />
      </div>
      <p>
        <button type="submit">{props.mode === 'create' ? 'Create' : 'Update'}</button>{' '}
        <a class="btn secondary" href={props.cancelHref ?? '/dns-records'}>
          Cancel
        </a>
      </p>
    </form>
  );
}

export function RecordFormPage(props: FormProps) {
  return (
    <>
      <h1>{props.mode === 'create' ? 'Create new DNS Record' : 'Edit DNS Record'}</h1>
      <p class="lead">
        Choose a name: it becomes{' '}
        <span class="mono">
          <DottedName name={`[name].${props.baseDomain}`} />
        </span>
        . Then pick a type and enter the value the name should point to.{' '}
        <a href="/dns-records/instructions">See the instructions and examples.</a>
      </p>
      {props.checkHref && (
        <p>
          <a class="btn secondary" href={props.checkHref}>
            Check what DNS servers answer now
          </a>
        </p>
      )}
      <RecordFormView {...props} />
    </>
  );
}
