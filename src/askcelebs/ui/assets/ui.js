() => {
  // The design is light-only: keep Gradio from switching to its dark palette on dark-mode systems.
  const light = () => document.body.classList.contains('dark') && document.body.classList.remove('dark');
  light();
  new MutationObserver(light).observe(document.body, {attributes: true, attributeFilter: ['class']});

  // Clicks on links inside rendered answers and panels, delegated at the document (they arrive as HTML).
  //   a.ac-view  href="#view/<article_id>/<start>/<end>/<n>"  -> open the article reader at the quote
  //   a.ac-ask   data-q="question"                             -> ask that question
  const setValue = (id, value) => {
    const box = document.querySelector(`#${id} textarea, #${id} input`);
    if (!box) return false;
    const proto = Object.getPrototypeOf(box);
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(box, value);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    return true;
  };
  const press = (id) => setTimeout(() => document.querySelector(`#${id}`)?.click(), 60);
  document.addEventListener('click', (e) => {
    const el = e.target && e.target.closest ? e.target.closest('a.ac-view, a.ac-ask') : null;
    if (!el) return;
    e.preventDefault();
    e.stopPropagation();
    if (el.classList.contains('ac-view')) {
      const m = /^#view\/([0-9a-f]{6,64})\/(\d+)\/(\d+)(?:\/(\d+))?$/.exec(el.getAttribute('href') || '');
      if (m && setValue('ac-view-target', `${m[1]}:${m[2]}:${m[3]}:${m[4] || ''}`)) press('ac-view-btn');
    } else {
      const q = el.getAttribute('data-q') || el.textContent || '';
      if (q && setValue('ac-question', q)) press('ac-ask-btn');
    }
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.querySelector('#ac-reader .ac-reader-close')?.click();
  });
}
