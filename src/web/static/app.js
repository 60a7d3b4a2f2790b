// Progressive enhancement only: every page works without this file.
// Copy buttons: <button data-copy="text">, shown only when this file runs (see html.js in app.css);
// confirmations in a <dialog> (see the end of this file).
document.documentElement.classList.add('js');

/** Put text on the clipboard: the Clipboard API where the page may use it (HTTPS, localhost), else
 * the older selection copy. Resolves true when the text was copied. */
function copyText(text) {
  if (navigator.clipboard && window.isSecureContext)
    return navigator.clipboard.writeText(text).then(
      () => true,
      () => false,
    );
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return Promise.resolve(copied);
}

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  event.preventDefault();
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  copyText(button.getAttribute('data-copy') || '').then((copied) => {
    button.textContent = copied ? 'Copied' : 'Copy failed';
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  });
});
// == Certificate page ==
// Tabs: [data-tabs] holds a [data-tablist] of links to its panels. Without JavaScript the links jump
// to the sections; here they become an ARIA tablist with a roving tabindex (arrows, Home, End).
function setUpTabs(root) {
  const list = root.querySelector('[data-tablist]');
  if (!list) return;
  const tabs = Array.from(list.querySelectorAll('a[href^="#"]'));
  const panels = tabs.map((tab) => document.getElementById(tab.getAttribute('href').slice(1)));
  if (tabs.length === 0 || panels.some((panel) => !panel)) return;
  list.setAttribute('role', 'tablist');
  tabs.forEach((tab, i) => {
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', panels[i].id);
    panels[i].setAttribute('role', 'tabpanel');
    panels[i].tabIndex = 0;
  });
  const select = (index, focus) => {
    tabs.forEach((tab, i) => {
      const on = i === index;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    if (focus) tabs[index].focus();
  };
  const fromHash = panels.findIndex((panel) => '#' + panel.id === window.location.hash);
  select(fromHash >= 0 ? fromHash : 0, false);
  list.addEventListener('click', (event) => {
    const i = tabs.indexOf(event.target instanceof Element ? event.target.closest('a') : null);
    if (i < 0) return;
    event.preventDefault();
    select(i, true);
    // Keep the choice in the address (a reload or a shared link opens the same tab) without a jump.
    history.replaceState(null, '', tabs[i].getAttribute('href'));
  });
  list.addEventListener('keydown', (event) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const last = tabs.length - 1;
    const next = {
      ArrowRight: i === last ? 0 : i + 1,
      ArrowLeft: i === 0 ? last : i - 1,
      Home: 0,
      End: last,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(next, true);
    history.replaceState(null, '', tabs[next].getAttribute('href'));
  });
}
document.querySelectorAll('[data-tabs]').forEach(setUpTabs);
// The menu button on narrow screens (<details class="menu">, works without this): Escape closes the
// open menu and puts focus back on its button; a click outside closes it.
document.addEventListener('keydown', (event) => {
  const menu = event.key === 'Escape' ? document.querySelector('details.menu[open]') : null;
  if (!menu) return;
  menu.open = false;
  menu.querySelector('summary')?.focus();
});
document.addEventListener('click', (event) => {
  const menu = document.querySelector('details.menu[open]');
  if (menu && event.target instanceof Node && !menu.contains(event.target)) menu.open = false;
});

// == DNS records page ==
// Copy buttons (they need JavaScript, so they are made here), full names for the row actions and the
// renew toast. (Delete asks in a <dialog>: the confirmations below.)

/** The full name of a records-table row: its row header plus the table's base domain. */
function recordName(row) {
  const table = row.closest('table.records');
  const th = row.querySelector('th');
  return th && table ? `${th.textContent.trim()}.${table.dataset.base}` : '';
}

/** Give each row a Copy button and its actions their full names ("Renew www.alice.example.edu"). */
function enhanceRecordRows(root) {
  const rows = root.matches?.('table.records tbody tr')
    ? [root]
    : root.querySelectorAll?.('table.records tbody tr') || [];
  rows.forEach((row) => {
    const name = recordName(row);
    const actions = row.lastElementChild;
    if (!name || !actions) return;
    actions.querySelectorAll('a, button').forEach((el) => {
      if (!el.hasAttribute('data-copy'))
        el.setAttribute('aria-label', `${el.textContent.trim()} ${name}`);
    });
    if (!actions.querySelector('[data-copy]')) {
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.textContent = 'Copy';
      copy.setAttribute('data-copy', name);
      copy.setAttribute('aria-label', `Copy ${name}`);
      actions.prepend(copy);
    }
  });
}
document.addEventListener('DOMContentLoaded', () => enhanceRecordRows(document));
document.addEventListener('htmx:load', (event) => enhanceRecordRows(event.target));

/** Show a message in the page's toast (a polite live region) and clear it after a while. */
let toastTimer = 0;
function toast(message) {
  const region = document.getElementById('toast');
  if (!region) return;
  region.textContent = '';
  if (message) {
    const p = document.createElement('p');
    p.textContent = message;
    region.append(p);
  }
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (region.textContent = ''), 8000);
}
document.addEventListener('htmx:oobAfterSwap', (event) => {
  if (event.detail.target?.id === 'toast') toast(event.detail.target.textContent.trim());
});
// A flash from a redirect (no htmx) also goes after a while.
document.addEventListener('DOMContentLoaded', () => {
  const region = document.getElementById('toast');
  if (region && region.textContent.trim()) toast(region.textContent.trim());
});

// Renew keeps focus: only the expiry cell is swapped (out of band), the button stays where it is.
// Clear the toast first so the same message twice is still announced.
document.addEventListener('htmx:beforeRequest', (event) => {
  if (event.detail.elt?.getAttribute?.('id') === 'rn') toast('');
});
// The Renew buttons sit outside their shared form (form="rn"): before htmx reads the form (capture
// phase, ahead of its listener on the form), put the pressed button's record id in it.
document.addEventListener(
  'submit',
  (event) => {
    const form = event.target;
    const button = event.submitter;
    if (!(form instanceof HTMLFormElement) || form.getAttribute('id') !== 'rn' || !button?.name)
      return;
    let field = form.querySelector(`input[name="${button.name}"]`);
    if (!field) {
      field = document.createElement('input');
      field.type = 'hidden';
      field.name = button.name;
      form.append(field);
    }
    field.value = button.value;
  },
  true,
);

// == Confirmations ==
// Every confirmation is a link to a page that asks; it works without JavaScript and its form posts
// confirm=yes (the server changes nothing without it). Here, an opener marked data-dialog shows that question in
// a modal <dialog> instead: data-dialog="id" names a <dialog> already in the page; a bare data-dialog
// fetches the page's question (the server answers HX-Request with just the question) into one shared
// #confirm-dialog. One code path for both:
// * Escape or a Cancel marked data-close (or a formmethod="dialog" button) closes it; focus goes back
//   to the opener.
// * A form with hx-post is sent by htmx and the page stays: on success the dialog closes and focus goes
//   to the opener, or where the opener stood if it went with the response (the next row's same
//   action, else the page's search field, else its heading); on failure the confirmation page says
//   what went wrong.
// * Any other form is a plain POST (the whole page changes): the next page puts focus on its message.
const AFTER_CONFIRM = 'starchart:confirmed';
let confirmOpener = null;
let confirmNext = null;

/** Focus an element that may not be focusable by itself (a heading, a message). */
function focusElement(el) {
  if (!el) return false;
  if (el.tabIndex < 0 && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus();
  return document.activeElement === el;
}

/** Where focus goes if the opener goes with the action (a deleted row): the same action on the next
 * row, else the one before, else the page's search field, else its heading. */
function nearOpener(opener) {
  const row = opener?.closest('tr, li');
  const near = row && (row.nextElementSibling || row.previousElementSibling);
  const href = opener?.getAttribute('href');
  const same = near && href ? near.querySelector('[data-dialog][href]') : null;
  return same || document.getElementById('q') || document.querySelector('main h1');
}

function wireDialog(dialog) {
  if (dialog.dataset.wired) return;
  dialog.dataset.wired = 'true';
  dialog.addEventListener('close', () => {
    const opener = confirmOpener;
    const next = confirmNext;
    confirmOpener = confirmNext = null;
    if (dialog.id === 'confirm-dialog') dialog.textContent = '';
    if (opener && document.body.contains(opener)) focusElement(opener);
    else if (next && document.body.contains(next)) focusElement(next);
    else focusElement(nearOpener(null));
  });
  dialog.addEventListener('click', (event) => {
    const close = event.target instanceof Element ? event.target.closest('[data-close]') : null;
    if (!close) return;
    event.preventDefault();
    dialog.close();
  });
  dialog.addEventListener('submit', (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    const method = (event.submitter?.getAttribute('formmethod') || form.method).toLowerCase();
    if (method === 'dialog' || form.hasAttribute('hx-post')) return;
    // A plain POST: the page that follows puts focus on its message (see below).
    try {
      sessionStorage.setItem(AFTER_CONFIRM, '1');
    } catch {
      /* storage refused: focus starts at the top as usual */
    }
  });
  // htmx: find the opener's neighbour while its row is still there (the response may remove it).
  dialog.addEventListener('htmx:beforeRequest', () => {
    confirmNext = nearOpener(confirmOpener);
  });
  dialog.addEventListener('htmx:afterRequest', (event) => {
    if (!event.detail.successful) {
      // Let the page without JavaScript say what went wrong.
      window.location.assign(confirmOpener?.getAttribute('href') || window.location.href);
      return;
    }
    dialog.close();
  });
}

/** The shared dialog that fetched questions are shown in. */
function sharedDialog() {
  let dialog = document.getElementById('confirm-dialog');
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.id = 'confirm-dialog';
    dialog.className = 'confirm-dialog';
    document.body.append(dialog);
  }
  return dialog;
}

/** Show a dialog for an opener: the one code path for in-page and fetched questions. */
function showConfirm(opener, dialog) {
  wireDialog(dialog);
  confirmOpener = opener;
  confirmNext = null;
  if (!dialog.getAttribute('aria-labelledby')) {
    const title = dialog.querySelector('h1, h2');
    if (title) {
      title.id = title.id || 'confirm-title';
      dialog.setAttribute('aria-labelledby', title.id);
    }
  }
  dialog.showModal();
  // The safe choice first: Cancel (or what the content marks autofocus).
  const first = dialog.querySelector('[autofocus]') || dialog.querySelector('[data-close]');
  if (first) first.focus();
}

document.addEventListener('click', (event) => {
  const opener = event.target instanceof Element ? event.target.closest('[data-dialog]') : null;
  if (!opener || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (typeof HTMLDialogElement !== 'function' || !('showModal' in HTMLDialogElement.prototype))
    return;
  const id = opener.getAttribute('data-dialog');
  if (id) {
    const dialog = document.getElementById(id);
    if (!(dialog instanceof HTMLDialogElement)) return;
    event.preventDefault();
    showConfirm(opener, dialog);
    return;
  }
  const href = opener.getAttribute('href');
  if (!href || !window.htmx) return;
  event.preventDefault();
  fetch(href, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
    .then((res) => {
      // Nothing to ask any more (a stale page): follow the server to where it sent us.
      if (res.redirected) {
        window.location.assign(res.url);
        return null;
      }
      return res.ok ? res.text() : Promise.reject(new Error(String(res.status)));
    })
    .then((html) => {
      if (html === null) return;
      const dialog = sharedDialog();
      dialog.removeAttribute('aria-labelledby');
      dialog.innerHTML = html;
      window.htmx.process(dialog);
      showConfirm(opener, dialog);
    })
    .catch(() => window.location.assign(href));
});

// After a confirmed plain POST: focus the new page's message (else its heading), so a screen reader
// says what happened and the keyboard goes on from there.
document.addEventListener('DOMContentLoaded', () => {
  let confirmed = null;
  try {
    confirmed = sessionStorage.getItem(AFTER_CONFIRM);
    sessionStorage.removeItem(AFTER_CONFIRM);
  } catch {
    return;
  }
  if (!confirmed) return;
  const message = Array.from(
    document.querySelectorAll('main [role="status"], main [role="alert"], main .alert'),
  ).find((el) => el.textContent.trim() !== '');
  focusElement(message || document.querySelector('main h1'));
});
