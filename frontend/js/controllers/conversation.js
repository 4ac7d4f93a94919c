// One open chat, the controller of views/conversation.js (as TodoMVC's controller is of its view): it
// keeps the chat and its turns, asks api.js, and tells the view what to draw. Send, Regenerate and Edit
// share one streamed-answer routine (`answerInto`); Stop aborts it. The chat's current branch is shown
// a page of turns at a time (`PAGE`), older pages loaded as the person scrolls up.
import { refreshAccount } from "../actions/account.js";
import { deleteChat, refreshChatList } from "../actions/chats.js";
import * as api from "../api.js";
import { downloadFile } from "../dom.js";
import { t } from "../i18n.js";
import { errorText, reportingFailures } from "../i18n/errors.js";
import { conversationView } from "../views/conversation.js";
import { answerText } from "../views/reply.js";

// Failures worth a Retry: the server unreachable, the model failed, busy or too slow.
const RETRYABLE = [0, 502, 503, 504];

const isMessage = (prompt) => prompt.kind === "message";
// Turns of a chat fetched at a time (the newest first; older ones as the person scrolls up).
const PAGE = 20;

/** The page of chat `chatId`: its element, for the shell. */
export function conversationPage({ chatId }) {
  let chat = null;
  let aborter = null; // while an answer is being written
  // The conversation: each user message (`prompt`, `{id: null, content}` until stored) and its turn as drawn.
  let turns = [];
  let older = null; // the cursor of the turns before those shown (null: none)
  let loadingOlder = false;
  let drawing = 0; // bumped whenever the branch is drawn afresh: an older page of another one is dropped
  const reported = (action) => reportingFailures(action, (text) => view.showBanner(text));
  const view = conversationView({
    onSend: send,
    onStop: () => aborter?.abort(),
    onRegenerate: regenerateLast,
    onEdit: (drawn, text) => editMessage(turnOf(drawn), text),
    onSwitchVersion: (drawn, promptId) => switchVersion(promptId),
    onLoadOlder: loadOlder,
    onRename: reported(rename),
    onDelete: reported(remove),
    onExport: reported(exportMarkdown),
    onShare: () => api.shareChat(chatId),
    onUnshare: () => api.unshareChat(chatId),
    onSaveContext: saveContext,
    loadImage,
  });
  const imageUrls = new Map(); // a stored image's blob: URL, fetched once per page

  /** A stored image as a URL the page can show (its API URL needs our credentials). */
  function loadImage(image) {
    if (!imageUrls.has(image.url)) {
      const loading = api.imageObjectUrl(image.url);
      loading.catch(() => imageUrls.delete(image.url)); // a later view may try again
      imageUrls.set(image.url, loading);
    }
    return imageUrls.get(image.url);
  }

  async function load() {
    try {
      draw(await api.getChat(chatId, { turns: PAGE }));
    } catch (error) {
      view.showLoadFailed(error);
    }
  }

  /** The chat and the page of its current branch the server sent, drawn afresh. */
  function draw(fresh) {
    chat = fresh;
    older = fresh.older;
    drawing += 1;
    view.showChat(chat);
    const prompts = chat.prompts.filter(isMessage);
    const drawn = view.showMessages(prompts, { older: Boolean(older) });
    turns = prompts.map((prompt, index) => ({ prompt, drawn: drawn[index] }));
  }

  const turnOf = (drawn) => turns.find((turn) => turn.drawn === drawn);

  /** The turns before those shown, above them, the scroll position kept. */
  async function loadOlder() {
    if (!older || loadingOlder) return;
    loadingOlder = true;
    const shownFor = drawing;
    try {
      const page = await api.getChat(chatId, { turns: PAGE, before: older });
      if (shownFor !== drawing) return; // another branch was drawn meanwhile
      older = page.older;
      const prompts = page.prompts.filter(isMessage);
      const drawn = view.prependMessages(prompts, { older: Boolean(older) });
      turns = [...prompts.map((prompt, index) => ({ prompt, drawn: drawn[index] })), ...turns];
    } catch (error) {
      view.showBanner(errorText(error));
    } finally {
      loadingOlder = false;
    }
  }

  /** Show the branch through another version of a message; the server remembers the choice. */
  async function switchVersion(promptId) {
    if (aborter || !chat) return;
    view.hideBanner();
    try {
      draw(await api.switchBranch(chatId, promptId, { turns: Math.min(100, Math.max(PAGE, turns.length)) }));
      view.markLast();
      view.revealVersion(promptId);
    } catch (error) {
      view.showBanner(errorText(error));
    }
  }

  /** Send `content` as a new version of `turn`'s message: the turns after it give way to its answer. */
  async function editMessage(turn, content) {
    if (!turn?.prompt.id || aborter || !chat) return;
    view.hideBanner();
    const edited = turn.prompt.id;
    const redraw = () =>
      api
        .getChat(chatId, { turns: PAGE })
        .then(draw)
        .catch((error) => view.showBanner(errorText(error)));
    await answerInto(turn, {
      prepare: () => {
        view.dropTurnsAfter(turn.drawn);
        turns = turns.slice(0, turns.indexOf(turn) + 1);
        turn.drawn.message.showText(content);
        turn.drawn.answer.write("");
      },
      streamed: (options) => api.streamEdit(chatId, edited, content, options),
      plain: (options) => api.editMessage(chatId, edited, content, options),
      stopped: redraw, // the server kept what was shown, as a version: draw it as stored
      undo: redraw, // nothing was stored: the branch as it was
      retry: () => editMessage(turnOf(turn.drawn) || turn, content),
      refocus: () => turn.drawn.message.focusEdit(),
    });
  }

  function setBusy(busy) {
    aborter = busy ? new AbortController() : null;
    view.setBusy(busy);
  }

  /**
   * How an answer arrives, for a send and a regenerate alike: after `prepare()`, `streamed({signal,
   * onDelta})` when the chat streams (drawn piece by piece), else `plain({signal})`; then `answered()`.
   * Stopped, what had streamed stays, marked so (then `stopped()`). Any other failure: `undo()`, then the banner, with
   * Retry (`retry`) where trying again may help. Afterwards the list and the quota are read again
   * and `refocus()` puts the focus back.
   */
  async function answerInto(turn, { prepare, streamed, plain, answered, stopped, undo, retry, refocus }) {
    setBusy(true);
    let text = "";
    const onDelta = (piece) => {
      text += piece;
      turn.drawn.stream(text);
    };
    try {
      const { signal } = aborter;
      await prepare?.();
      const prompt = chat.config.stream ? await streamed({ signal, onDelta }) : await plain({ signal });
      turn.drawn.endStream();
      turn.prompt = prompt;
      turn.drawn.message.show(prompt);
      turn.drawn.answer.show(prompt);
      view.announce(t("conversation.answered", { text: answerText(prompt.reply) }));
      await answered?.();
    } catch (error) {
      turn.drawn.endStream();
      if (error.name === "AbortError") {
        turn.drawn.answer.showStopped(text);
        view.announce(t("conversation.stoppedAnnounced"));
        await stopped?.();
      } else {
        undo();
        view.showBanner(errorText(error), RETRYABLE.includes(error.status) ? retry : null);
      }
    } finally {
      setBusy(false);
      view.markLast();
      refocus();
      refreshChatList().catch(() => {});
      // A stream's headers counted it while in flight; a failed or stopped one may have been given back.
      refreshAccount().catch(() => {});
    }
  }

  async function send(content, images = []) {
    if ((!content.trim() && !images.length) || aborter) return;
    await loaded; // a message typed while the chat is still loading is sent once it has loaded
    if (!chat || aborter) return;
    view.hideBanner();
    view.setDraft("");
    view.setAttachedImages([]);
    const turn = { prompt: { id: null, content }, drawn: view.addPendingTurn(content, images) };
    turns.push(turn);
    await answerInto(turn, {
      streamed: (options) => api.streamMessage(chatId, content, { ...options, images }),
      plain: (options) => api.sendMessage(chatId, content, { ...options, images }),
      answered: () => {
        // The first message names the chat; a send past the model's window may have folded older turns.
        // Not awaited: the box is free for the next message as soon as this answer is shown.
        api
          .getChat(chatId, { turns: 1 })
          .then((fresh) => {
            chat = fresh;
            view.showTitle(chat);
            view.showSummary(chat);
          })
          .catch(() => {});
      },
      undo: () => {
        turns = turns.filter((other) => other !== turn);
        view.removeTurn(turn.drawn);
        view.setDraft(content); // nothing is lost: the message (and its images) are back in the box
        view.setAttachedImages(images);
      },
      retry: () => send(view.draft(), view.attachedImages()),
      refocus: () => view.focusMessageBox(),
    });
  }

  /**
   * The prompt a stopped send stored (its id never reached us): the chat's last message, found by its
   * id being none of those shown already (the same words may have been sent before).
   */
  async function storedPrompt() {
    const known = new Set(turns.map((turn) => turn.prompt.id).filter(Boolean));
    const fresh = await api.getChat(chatId, { turns: 1 });
    const last = fresh.prompts.filter(isMessage).at(-1);
    if (!last || known.has(last.id)) throw new Error("the stopped message was not stored");
    return last;
  }

  /** Ask again for the last answer: streamed like a send when the chat streams; the quota counts it. */
  async function regenerateLast() {
    const turn = turns.at(-1);
    if (!turn || aborter || !chat) return;
    view.hideBanner();
    await answerInto(turn, {
      prepare: async () => {
        if (!turn.prompt.id) turn.prompt = await storedPrompt();
        turn.drawn.answer.write("");
      },
      streamed: (options) => api.streamRegenerate(chatId, turn.prompt.id, options),
      plain: (options) => api.regenerate(chatId, turn.prompt.id, options),
      undo: () => turn.drawn.answer.showStopped(""), // the answer shown before stays
      retry: regenerateLast,
      refocus: () => view.refocusRegenerate(turn.drawn),
    });
  }

  async function rename(title) {
    chat = await api.updateChat(chatId, { title });
    view.closeRename();
    view.showChat(chat);
    await refreshChatList();
  }

  async function remove() {
    await deleteChat(chatId);
    location.hash = "#/chats";
  }

  async function exportMarkdown() {
    const { blob, filename } = await api.exportChat(chatId, "md");
    downloadFile(blob, filename);
  }

  /** The context panel's edit, one PATCH; a refusal goes back to the panel, which shows its field errors. */
  async function saveContext(fields) {
    chat = await api.updateChat(chatId, fields);
    view.showChat(chat);
    return chat;
  }

  const loaded = load();
  // Leaving the page: the images' blob: URLs are given back (they live as long as the document otherwise).
  view.element.cleanup = () => {
    view.releaseThumbnails();
    for (const loading of imageUrls.values()) loading.then((url) => URL.revokeObjectURL(url), () => {});
    imageUrls.clear();
  };
  return view.element;
}
