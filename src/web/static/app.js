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
