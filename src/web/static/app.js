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
