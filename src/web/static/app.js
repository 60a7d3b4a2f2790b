// Progressive enhancement only: every page works without this file.
// Copy buttons: <button data-copy="text">, shown only when this file runs (see html.js in app.css);
// confirmation for forms marked data-confirm="question".
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
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  // Confirmed here, so the server need not ask again on a confirmation page.
  form.querySelectorAll('[data-confirmed-value]').forEach((input) => {
    input.value = input.getAttribute('data-confirmed-value') || '';
  });
});

// == Certificate page ==
// Dialogs: a link or button with data-dialog="id" opens that <dialog> instead of following the link
// (the link leads to a confirmation page that works without JavaScript). Focus returns to the opener.
document.addEventListener('click', (event) => {
  const opener = event.target instanceof Element ? event.target.closest('[data-dialog]') : null;
  if (!opener) return;
  const dialog = document.getElementById(opener.getAttribute('data-dialog') || '');
  if (!(dialog instanceof HTMLDialogElement) || typeof dialog.showModal !== 'function') return;
  event.preventDefault();
  dialog.addEventListener('close', () => opener.focus(), { once: true });
  dialog.showModal();
});

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
// Copy buttons (they need JavaScript, so they are made here), full names for the row actions, the
// renew toast, and <dialog> confirmations over the confirmation pages that work without JavaScript.

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

/** <dialog> confirmations: a link marked data-dialog opens its confirmation page's content. */
let dialogOpener = null;
let dialogNext = null;
function confirmDialog() {
  let dialog = document.getElementById('confirm-dialog');
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.id = 'confirm-dialog';
    dialog.className = 'confirm-dialog';
    dialog.setAttribute('aria-labelledby', 'confirm-title');
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      const target = dialogNext && document.body.contains(dialogNext) ? dialogNext : dialogOpener;
      dialog.textContent = '';
      if (target && document.body.contains(target)) target.focus();
      dialogOpener = dialogNext = null;
    });
    dialog.addEventListener('click', (event) => {
      const close = event.target instanceof Element ? event.target.closest('[data-close]') : null;
      if (close) {
        event.preventDefault();
        dialog.close();
      }
    });
    // Before the row goes: focus will go to the same place in the list (the next row, else the one
    // before, else the search field).
    dialog.addEventListener('htmx:beforeRequest', () => {
      const row = dialogOpener?.closest('tr');
      const near = row && (row.nextElementSibling || row.previousElementSibling);
      dialogNext =
        (near && near.querySelector('a[data-dialog]')) ||
        document.getElementById('q') ||
        document.querySelector('main h1');
    });
    dialog.addEventListener('htmx:afterRequest', (event) => {
      if (!event.detail.successful) {
        // Let the page without JavaScript say what went wrong.
        window.location.assign(dialogOpener?.href || window.location.href);
        return;
      }
      dialog.close();
    });
  }
  return dialog;
}
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-dialog]') : null;
  // data-dialog="id" names a dialog already in the page (the certificate page's handler above).
  if (link && link.getAttribute('data-dialog')) return;
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const dialog = confirmDialog();
  if (typeof dialog.showModal !== 'function' || !window.htmx) return;
  event.preventDefault();
  fetch(link.href, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
    .then((res) => (res.ok ? res.text() : Promise.reject(new Error(String(res.status)))))
    .then((html) => {
      dialog.innerHTML = html;
      window.htmx.process(dialog);
      dialogOpener = link;
      dialog.showModal();
      const focus = dialog.querySelector('[autofocus]');
      if (focus) focus.focus();
    })
    .catch(() => window.location.assign(link.href));
});
