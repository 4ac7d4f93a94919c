"""The fake's HTML: the consent page (a form: who to be, which failure to simulate) and the error page."""

from __future__ import annotations

import html

from fakeserver.asgi import content_length, send_response

MAX_FIELD = 200  # a text field's maxlength on the page, and what the POST may carry

HTML_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    # The form posts to this page, which redirects to the client: form-action must allow both.
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
.banner { margin: 0; padding: .6rem 1rem; background: #fff8c5; border-bottom: 1px solid #d4a72c;
  font-weight: 600; text-align: center; }
main { max-width: 28rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #d0d7de;
  border-radius: 6px; }
h1 { font-size: 1.3rem; margin-top: 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; font-size: .85rem; }
dd { margin: 0; overflow-wrap: anywhere; }
label { font-weight: 600; }
input[type=text], select { display: block; width: 100%; box-sizing: border-box;
  padding: .4rem; margin-top: .25rem; }
.buttons { display: flex; gap: .75rem; }
button { padding: .5rem 1rem; font-size: 1rem; }
"""


def consent_page(*, brand: str, allow: str, fields: str, action: str, params: dict, simulate: dict[str, str]) -> str:
    """The page for an authorization request: `params` ride along hidden, `simulate` maps modes to labels."""
    esc = html.escape
    hidden = "\n".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">' for name, value in params.items() if value
    )
    options = "\n".join(
        f'<option value="{mode}"{" selected" if mode == "none" else ""}>{esc(label)}</option>'
        for mode, label in simulate.items()
    )
    scope = f"<dt>Scope</dt><dd><code>{esc(params['scope'])}</code></dd>" if params["scope"] else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with {brand} (fake)</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<p class="banner" role="note">This is a fake {brand} for local development. Nothing here reaches the real {brand}.</p>
<main>
<h1>Sign in with {brand}</h1>
<dl>
<dt>Client</dt><dd><code>{esc(params["client_id"])}</code></dd>
<dt>Returns to</dt><dd><code>{esc(params["redirect_uri"])}</code></dd>
{scope}
</dl>
<form method="post" action="{esc(action)}">
{hidden}
{fields}
<p><label for="simulate">Simulate</label>
<select id="simulate" name="simulate">
{options}
</select></p>
<p class="buttons">
<button type="submit" name="decision" value="allow">{allow}</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button>
</p>
</form>
</main>
</body>
</html>
"""


def text_field(name: str, label: str, default: str, *, email: bool = False, required: bool = False) -> str:
    # An email field is still type=text: the browser must let a test submit a malformed address.
    extra = (' inputmode="email"' if email else "") + (" required" if required else "")
    return (
        f'<p><label for="{name}">{label}</label>\n'
        f'<input type="text" id="{name}" name="{name}" value="{html.escape(default)}"'
        f' maxlength="{MAX_FIELD}" autocomplete="off"{extra}></p>\n'
    )


def checkbox(name: str, label: str) -> str:
    return (
        f'<p><input type="checkbox" id="{name}" name="{name}" value="1" checked>\n'
        f'<label for="{name}">{label}</label></p>\n'
    )


def error_page(brand: str, message: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bad request (fake {brand})</title><style>{PAGE_STYLE}</style></head>
<body>
<p class="banner" role="note">This is a fake {brand} for local development. Nothing here reaches the real {brand}.</p>
<main><h1>Bad authorization request</h1><p>{html.escape(message)}</p></main>
</body>
</html>
"""


async def send_page(send, status: int, page: str) -> None:
    body = page.encode()
    await send_response(send, status, [*HTML_HEADERS, content_length(body)], body)
