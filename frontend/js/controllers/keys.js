// The API keys page, the controller of views/keys.js: it asks api.js for the keys, makes and revokes
// them, and gives the view what to draw. A new key is shown once and kept nowhere.
import * as api from "../api.js";
import { reportingFailures } from "../i18n/errors.js";
import { getState } from "../state.js";
import { keysView } from "../views/keys.js";

export function keysPage() {
  const reported = (action) => reportingFailures(action, (text) => view.showError(text)); // under the form
  const refresh = reported(async () => view.showKeys(await api.listApiKeys()));
  const view = keysView({
    baseUrl: api.openAIBaseUrl(),
    hasPassword: getState().user?.has_password !== false,
    onCreate: reported(async (name, currentPassword) => {
      view.showCreated(await api.createApiKey(name, currentPassword));
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
