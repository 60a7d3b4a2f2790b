/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
const SENTENCES: Record<number, string> = {
  400: 'The request could not be processed because it was malformed or invalid.',
  401: 'You need to sign in to see this page.',
  403: 'You do not have permission to do that.',
  404: 'We could not find what you were looking for.',
  409: 'That conflicts with the current state. Reload the page and try again.',
  500: 'Something went wrong on our side. It has been logged and we will look into it.',
  503: 'The service is temporarily unavailable. Please try again in a moment.',
};

/** Body of an error page; the layout wraps it. */
export function ErrorBody(props: {
  status: number;
  message?: string | undefined;
  requestId: string;
}) {
  return (
    <section class="center">
      <div>
        <h1>
          {props.status === 404
            ? 'Not found'
            : props.status >= 500
              ? 'Something went wrong'
              : 'We could not do that'}
        </h1>
        <p class="lead">{props.message ?? SENTENCES[props.status] ?? 'An error has occurred.'}</p>
        <p>
          <a class="btn" href="/">
            Go to Home
          </a>
        </p>
        <p class="hint">
          Reference: <span class="mono">{props.requestId}</span>
        </p>
      </div>
    </section>
  );
}
