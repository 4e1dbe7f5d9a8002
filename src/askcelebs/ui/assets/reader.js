const scroll = () => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
  const panel = element.querySelector('.ac-reader-panel');
  if (panel) panel.focus({preventScroll: true});
};
element.addEventListener('click', (e) => {
  if (e.target.closest('.ac-reader-close') || e.target.classList.contains('ac-reader-backdrop')) {
    props.value = '';
  }
});
watch('value', () => requestAnimationFrame(() => setTimeout(scroll, 20)));
setTimeout(scroll, 20);
