// The API keys page, the controller of views/keys.js: it asks api.js for the keys, makes and revokes
// them, and gives the view what to draw. A new key is shown once and kept nowhere.
import * as api from "../api.js";
import { errorText } from "../i18n/errors.js";
import { keysView } from "../views/keys.js";

export function keysPage() {
  /** `action`, its failure said under the form. */
  const reported =
    (action) =>
    async (...args) => {
      try {
        await action(...args);
      } catch (failure) {
        view.showError(errorText(failure));
      }
    };
  const refresh = reported(async () => view.showKeys(await api.listApiKeys()));
  const view = keysView({
    baseUrl: api.openAIBaseUrl(),
    onCreate: reported(async (name) => {
      view.showCreated(await api.createApiKey(name));
      await refresh();
    }),
    onRevoke: reported(async (key) => {
      await api.revokeApiKey(key.id);
      await refresh();
    }),
  });
  refresh();
  return view.element;
}
