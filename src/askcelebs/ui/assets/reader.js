// The article reader is a modal dialog: focus moves into it, Tab stays inside it, Escape or × closes it, and
// focus returns to what opened it (a "View in article" link or a library "Read" button).
const focusables = () => [...element.querySelectorAll('button, a[href], summary, [tabindex]:not([tabindex="-1"])')]
  .filter((el) => el.offsetParent !== null);
const open = () => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
  const panel = element.querySelector('.ac-reader-panel');
  if (panel) panel.focus({preventScroll: true});
};
const close = () => {
  props.value = '';
  const back = window.__acReturnFocus;
  if (back && document.contains(back)) setTimeout(() => back.focus({preventScroll: false}), 30);
};
element.addEventListener('click', (e) => {
  if (e.target.closest('.ac-reader-close') || e.target.classList.contains('ac-reader-backdrop')) close();
});
element.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { e.stopPropagation(); close(); return; }
  if (e.key !== 'Tab' || !element.querySelector('.ac-reader')) return;
  const items = focusables();
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  const inside = element.contains(document.activeElement);
  if (e.shiftKey && (document.activeElement === first || !inside || document.activeElement.classList.contains('ac-reader-panel'))) {
    e.preventDefault(); last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
    e.preventDefault(); first.focus();
  }
});
// focus that escapes the dialog (e.g. a click outside while it is open) is brought back
document.addEventListener('focusin', (e) => {
  if (element.querySelector('.ac-reader') && !element.contains(e.target)) {
    element.querySelector('.ac-reader-panel')?.focus({preventScroll: true});
  }
});
watch('value', () => requestAnimationFrame(() => setTimeout(open, 20)));
setTimeout(open, 20);
