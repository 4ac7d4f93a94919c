"""Application errors of accounts. They speak the domain: `config.exceptions` maps them to HTTP."""

from __future__ import annotations


class AccountError(Exception):
    """A refused account operation (answered 400 with `detail`)."""

    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class AccountNotFound(AccountError):
    """Nothing of the caller's has this name (answered 404)."""

    default_detail = "Not found."


class SocialCodeInvalid(AccountError):
    default_detail = (
        "This login code is invalid, expired or already used, or the code_verifier does not match it. "
        "Please log in again."
    )


class SocialAccountTaken(AccountError):
    default_detail = "This provider account is already linked to another user, or you already linked one."


class LastLoginMethod(AccountError):
    default_detail = "This is your only way to log in. Link another provider or set a password before removing it."


class SocialLoginRefused(Exception):
    """The provider login cannot go on; `reason` is what the SPA is told in `#error=`."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
