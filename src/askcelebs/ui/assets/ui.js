() => {
  // Light or dark follows the system (prefers-color-scheme); Gradio sets body.dark, ui.css styles both.

  // Gradio's own social/page metadata names Gradio: the page is askcelebs'.
  const META = {
    'og:title': 'askcelebs', 'og:description': 'Celebrity friendships, answered from the news with verbatim quotes.',
    'twitter:title': 'askcelebs', 'twitter:description': 'Celebrity friendships, answered from the news with verbatim quotes.',
    'description': 'askcelebs answers questions about celebrity friendships from news articles; every claim is a verbatim quote you can check.',
  };
  document.querySelectorAll('meta[property], meta[name]').forEach((m) => {
    const key = m.getAttribute('property') || m.getAttribute('name');
    if (key in META) m.setAttribute('content', META[key]);
    else if (/^(og|twitter):/.test(key)) m.remove();
  });
  document.documentElement.lang = 'en';

  const setValue = (id, value) => {
    const box = document.querySelector(`#${id} textarea, #${id} input`);
    if (!box) return false;
    const proto = Object.getPrototypeOf(box);
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(box, value);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    return true;
  };
  const press = (id) => setTimeout(() => document.querySelector(`#${id}`)?.click(), 60);
  const flash = (card) => {
    card.classList.remove('ac-flash');
    void card.offsetWidth;  // restart the animation
    card.classList.add('ac-flash');
    setTimeout(() => card.classList.remove('ac-flash'), 1600);
  };
  const copy = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const ta = document.createElement('textarea');
      ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
      document.body.appendChild(ta); ta.select();
      const ok = document.execCommand('copy'); ta.remove(); return ok;
    }
  };

  // Clicks inside rendered answers and panels, delegated at the document (they arrive as HTML):
  //   a.ac-view   href="#view/<article_id>/<start>/<end>/<n>"  -> open the article reader at the quote
  //   a.ac-ask    href="#ask/<quoted question>"                 -> ask that question
  //   button.ac-ref  id="<uid>-r<n>"                             -> scroll to card "<uid>-c<n>" and flash it
  //   button.ac-copy (+ pre.ac-copy-text after it)              -> copy the answer with its quotes and sources
  // (the chatbot's sanitizer drops data-* attributes, so rendered answers carry everything in ids and hrefs)
  //   button.ac-lib-act data-act="read:<id>" | "edit:<id>" | "remove:<id>"
  document.addEventListener('click', (e) => {
    const el = e.target && e.target.closest ? e.target.closest('a.ac-view, a.ac-ask, a.ac-pair, a.ac-person, button.ac-ref, button.ac-copy, button.ac-lib-act') : null;
    if (!el) return;
    e.preventDefault();
    e.stopPropagation();
    //   a.ac-pair href="#pair/<a>/<b>", a.ac-person href="#person/<name>" -> the People tab's panel
    if (el.classList.contains('ac-pair') || el.classList.contains('ac-person')) {
      const href = el.getAttribute('href') || '';
      const m = /^#pair\/([^/]+)\/([^/]+)$/.exec(href) || /^#person\/([^/]+)$/.exec(href);
      if (!m) return;
      window.__acReturnFocus = el;
      Array.from(document.querySelectorAll('#ac-tabs button[role=tab]')).find((t) => t.textContent.trim() === 'People')?.click();
      const target = m[2] !== undefined ? `pair:${m[1]}|${m[2]}` : `person:${m[1]}`;
      if (setValue('ac-people-target', target)) press('ac-people-btn');
      if (window.innerWidth < 700) {  // on a phone the panel is under the map: bring it into view
        setTimeout(() => document.querySelector('#ac-people-panel')?.scrollIntoView({behavior: 'smooth'}), 700);
      }
      return;
    }
    if (el.classList.contains('ac-view')) {
      const m = /^#view\/([0-9a-f]{6,64})\/(\d+)\/(\d+)(?:\/(\d+))?$/.exec(el.getAttribute('href') || '');
      window.__acReturnFocus = el;
      if (m && setValue('ac-view-target', `${m[1]}:${m[2]}:${m[3]}:${m[4] || ''}`)) press('ac-view-btn');
    } else if (el.classList.contains('ac-ref')) {
      const card = document.getElementById(el.id.replace(/-r(\d+)$/, '-c$1'));
      if (card) {
        card.scrollIntoView({block: 'center', behavior: 'smooth'});
        card.focus({preventScroll: true});
        flash(card);
      }
    } else if (el.classList.contains('ac-copy')) {
      copy(el.parentElement.querySelector('.ac-copy-text')?.textContent || '').then((ok) => {
        el.textContent = ok ? 'Copied' : 'Copy failed';
        setTimeout(() => { el.textContent = 'Copy answer'; }, 1800);
      });
    } else if (el.classList.contains('ac-lib-act')) {
      window.__acReturnFocus = el;
      if (setValue('ac-lib-target', el.dataset.act || '')) press('ac-lib-btn');
    } else {
      const m = /^#ask\/(.+)$/.exec(el.getAttribute('href') || '');
      const q = m ? decodeURIComponent(m[1]) : (el.textContent || '');
      document.querySelector('#ac-tabs button[role=tab]')?.click();
      if (q && setValue('ac-question', q)) press('ac-ask-btn');
    }
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.querySelector('#ac-reader .ac-reader-close')?.click();
  });

  // Each new question scrolls to the top of the screen (its answer reads from the start, as in ChatGPT). Room
  // below the last answer (padding on the chat column) lets even a short answer's question reach the top.
  let rows = 0;
  const col = () => document.querySelector('#ac-chat-col');
  const layout = () => {
    // Gradio labels each message with its raw HTML ("bot's message: <div class=...>"): name it by its text
    document.querySelectorAll('#ac-chat [data-testid=bot], #ac-chat [data-testid=user]').forEach((m) => {
      const label = (m.dataset.testid === 'bot' ? 'Answer: ' : 'Question: ') + (m.innerText || '').trim().slice(0, 160);
      if (m.getAttribute('aria-label') !== label) m.setAttribute('aria-label', label);
    });
    const users = document.querySelectorAll('#ac-chat .message-row .ac-user');
    const c = col();
    if (!c) return;
    if (!users.length) { c.style.paddingBottom = ''; rows = 0; return; }
    const last = users[users.length - 1].closest('.message-row') || users[users.length - 1];
    const chat = document.querySelector('#ac-chat');
    const below = chat.getBoundingClientRect().bottom - last.getBoundingClientRect().top;
    const room = Math.max(0, window.innerHeight - below - 160);
    c.style.paddingBottom = room + 'px';
    if (users.length > rows) {
      const top = last.getBoundingClientRect().top + window.scrollY - 12;
      window.scrollTo({top, behavior: 'smooth'});
    }
    rows = users.length;
  };
  new MutationObserver(() => requestAnimationFrame(layout)).observe(document.body, {childList: true, subtree: true});
}
