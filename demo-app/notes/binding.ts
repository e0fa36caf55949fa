/**
 * A `<textarea>` bound to a `Y.Text`: each input becomes one Yjs transaction
 * (the changed span, found by common prefix and suffix), and remote changes
 * rewrite the text area while keeping the local caret and selection where
 * they were relative to the text around them (mapped through the change's
 * delta). Returns the unbind function.
 */
import type * as Y from 'yjs';

export function bindTextarea(textarea: HTMLTextAreaElement, text: Y.Text): () => void {
  const origin = { textarea: true };
  textarea.value = text.toString();

  const onInput = (): void => {
    const before = text.toString();
    const after = textarea.value;
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let endBefore = before.length;
    let endAfter = after.length;
    while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
      endBefore--;
      endAfter--;
    }
    text.doc!.transact(() => {
      if (endBefore > start) text.delete(start, endBefore - start);
      if (endAfter > start) text.insert(start, after.slice(start, endAfter));
    }, origin);
  };

  const observer = (event: Y.YTextEvent, transaction: Y.Transaction): void => {
    if (transaction.origin === origin) return;
    const map = (pos: number): number => {
      let index = 0;
      let p = pos;
      for (const op of event.delta) {
        if (op.retain !== undefined) index += op.retain;
        else if (typeof op.insert === 'string') {
          if (index < p) p += op.insert.length;
          index += op.insert.length;
        } else if (op.delete !== undefined) {
          if (index < p) p -= Math.min(op.delete, p - index);
        }
      }
      return p;
    };
    const focused = document.activeElement === textarea;
    const [s, e] = [map(textarea.selectionStart), map(textarea.selectionEnd)];
    textarea.value = text.toString();
    if (focused) textarea.setSelectionRange(s, e);
  };

  textarea.addEventListener('input', onInput);
  text.observe(observer);
  return () => {
    textarea.removeEventListener('input', onInput);
    text.unobserve(observer);
  };
}
