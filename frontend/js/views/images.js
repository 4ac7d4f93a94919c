// The images of a message in the conversation: thumbnails that open full size in a dialog. The view
// gets each image's picture through `load(image)`, a promise of a URL it can show (the controller
// fetches stored images with the credentials they need, into `blob:` URLs).
import { h } from "../dom.js";
import { t } from "../i18n.js";

function openFullSize(src, alt, opener) {
  const picture = h("img", { src, alt });
  const close = h("button", { type: "button", class: "close" }, t("conversation.closeImage"));
  const dialog = h("dialog", { class: "image-viewer", "aria-label": alt }, close, picture);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => event.target === dialog && dialog.close()); // the backdrop
  dialog.addEventListener("close", () => {
    dialog.remove();
    opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

/** `images`: the prompt's `images` (or a pending message's files as `{src}`); null when there are none. */
export function messageImages(images, load) {
  if (!images?.length) return null;
  return h(
    "ul",
    { class: "message-images" },
    images.map((image, index) => {
      const alt = t("conversation.imageAlt", { number: index + 1 });
      const thumbnail = h("img", { alt, width: image.width, height: image.height });
      const label = t("conversation.openImage", { number: index + 1 });
      const attributes = { type: "button", class: "thumbnail", "aria-label": label, disabled: true };
      const button = h("button", attributes, thumbnail);
      Promise.resolve(image.src || load(image))
        .then((src) => {
          thumbnail.src = src;
          button.disabled = false;
          button.addEventListener("click", () => openFullSize(src, alt, button));
        })
        .catch(() => {
          thumbnail.alt = t("conversation.imageLoadFailed");
          button.title = t("conversation.imageLoadFailed");
        });
      return h("li", {}, button);
    }),
  );
}
