// Progressive enhancement only: every page works without this file.
// Copy buttons: <button data-copy="text">; confirmation for forms marked data-confirm="question".
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  event.preventDefault();
  navigator.clipboard.writeText(button.getAttribute('data-copy') || '').then(() => {
    const before = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => {
      button.textContent = before;
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
