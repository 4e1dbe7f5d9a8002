// The add results: each new list is scrolled into view, so the outcome of an upload is never off screen.
watch('value', () => {
  if (props.value) requestAnimationFrame(() => element.scrollIntoView({block: 'nearest', behavior: 'smooth'}));
});
