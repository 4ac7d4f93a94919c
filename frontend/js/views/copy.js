// Copying to the clipboard, for every Copy button (an answer, a code block, a shared link).

/** Put the text on the clipboard: true, or false where the browser will not (then select it to copy by hand). */
export async function copyToClipboard(text, fallbackSelection) {
  try {
    if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackSelection instanceof HTMLInputElement) {
      fallbackSelection.select();
      return false;
    }
    const selection = window.getSelection();
    selection?.removeAllRanges();
    const range = document.createRange();
    range.selectNodeContents(fallbackSelection);
    selection?.addRange(range);
    return false;
  }
}
