// recert console: confirms each action before it runs, and refreshes live pages in place.

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

/** Whether the operator is busy with the page: an unfolded detail, a focused field. */
function busy(main) {
  const active = document.activeElement;
  return (
    main.querySelector('details[open]') !== null ||
    (active instanceof HTMLElement &&
      active !== document.body &&
      main.contains(active) &&
      active.matches('input, select, textarea'))
  );
}

function startRefresh() {
  const main = document.querySelector('main');
  const seconds = Number(main?.dataset.refresh);
  if (!main || !(seconds > 0)) return;
  setInterval(async () => {
    if (document.hidden || busy(main)) return;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin' });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('main');
      if (next && !busy(main)) {
        main.innerHTML = next.innerHTML;
        main.dataset.refreshed = String(Date.now());
      }
    } catch {
      // The next turn tries again.
    }
  }, seconds * 1000);
}

startRefresh();
