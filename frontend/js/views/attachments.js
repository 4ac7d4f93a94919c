// The images waiting to go with the next message: `Attach image` (a file picker), or pasted or
// dropped into `Message`; each is previewed with a Remove button until the message is sent.
import { h } from "../dom.js";
import { t } from "../i18n.js";

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/** `box` is the message box (paste and drop land there); `onRefused(text)` tells of a file that is no image. */
export function attachmentsPicker({ box, dropZone, onRefused }) {
  let attached = []; // {file, url}: the preview's object URL is revoked when the image is removed or sent
  const input = h("input", { type: "file", accept: IMAGE_TYPES.join(","), multiple: true, hidden: true });
  const button = h(
    "button",
    { type: "button", class: "attach", title: t("conversation.attachHint"), onclick: () => input.click() },
    t("conversation.attach"),
  );
  const list = h("ul", { class: "attachments", "aria-label": t("conversation.attachments"), hidden: true });

  function draw() {
    list.replaceChildren(
      ...attached.map((item, index) => {
        const name = item.file.name || String(index + 1);
        return h(
          "li",
          {},
          h("img", { src: item.url, alt: t("conversation.imageAlt", { number: index + 1 }) }),
          h(
            "button",
            {
              type: "button",
              class: "remove",
              "aria-label": t("conversation.removeImage", { name }),
              onclick: () => remove(item),
            },
            "×",
          ),
        );
      }),
    );
    list.hidden = !attached.length;
  }

  function add(files) {
    const candidates = [...files];
    const images = candidates.filter((file) => IMAGE_TYPES.includes(file.type));
    if (images.length < candidates.length) onRefused(t("conversation.notAnImage"));
    attached.push(...images.map((file) => ({ file, url: URL.createObjectURL(file) })));
    draw();
  }

  function remove(item) {
    URL.revokeObjectURL(item.url);
    attached = attached.filter((other) => other !== item);
    draw();
    box.focus();
  }

  input.addEventListener("change", () => {
    add(input.files);
    input.value = ""; // the same file may be chosen again
  });
  box.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (!files.length) return; // plain text pastes as usual
    event.preventDefault();
    add(files);
  });
  const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  dropZone.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dropZone.classList.add("dropping");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dropping"));
  dropZone.addEventListener("drop", (event) => {
    dropZone.classList.remove("dropping");
    if (!carriesFiles(event)) return;
    event.preventDefault(); // the browser would otherwise open the file instead of the app
    add(event.dataTransfer.files);
  });

  return {
    button,
    input,
    list,
    files: () => attached.map((item) => item.file),
    /** Forget the previews (the message took the files). */
    clear() {
      attached.forEach((item) => URL.revokeObjectURL(item.url));
      attached = [];
      draw();
    },
    /** Put files back (a send that failed: nothing is lost). */
    set(files) {
      this.clear();
      add(files);
    },
  };
}
