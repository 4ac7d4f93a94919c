"""Application errors of accounts, each with its HTTP answer (`core.errors`)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotFound


class AccountError(ApplicationError):
    """A refused account operation (400 with `detail`)."""


class AccountNotFound(NotFound):
    """Nothing of the caller's has this name (404)."""


class EmailTaken(AccountError):
    """Another account has this address (compared case-insensitively): a field error on `email`,
    in the shape DRF's validation gives it."""

    default_detail = _("A user with this email already exists.")

    def __init__(self):
        super().__init__(param="email")

    def body(self) -> dict:
        return {"email": [self.detail]}


class NothingToVerify(AccountError):
    default_detail = _("There is no unverified address to confirm.")


class ApiKeyLimitReached(AccountError):
    """The user holds as many API keys as one may."""


class OwnerNotProven(AccountError):
    """Making an API key needs proof that the account's owner is at the keyboard (403)."""

    status, code = 403, "reauthentication_required"


class SocialCodeInvalid(AccountError):
    default_detail = _(
        "This login code is invalid, expired or already used, or the code_verifier does not match it. "
        "Please log in again."
    )


class SocialAccountTaken(AccountError):
    default_detail = _("This provider account is already linked to another user, or you already linked one.")


class LastLoginMethod(AccountError):
    default_detail = _("This is your only way to log in. Link another provider or set a password before removing it.")


class SocialLoginRefused(AccountError):
    """The provider login cannot go on. It ends in a redirect to the SPA, not a JSON answer: `reason`
    (`access_denied`, `email_conflict`, `already_linked`, `failed`) is what the SPA is told in `#error=`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SignupClosed(AccountError):
    """SIGNUP_MODE is `closed`."""

    status, code = 403, "signup_closed"
    default_detail = _("Sign-up is closed: this service takes no new accounts.")


class _FieldRefusal(AccountError):
    """A refusal about one field: `detail`, and the field's error in DRF's shape."""

    field = ""

    def __init__(self):
        super().__init__(param=self.field)

    def body(self) -> dict:
        return {"detail": self.detail, self.field: [self.detail]}


class InviteRequired(_FieldRefusal):
    field, code = "invite_code", "invite_required"
    default_detail = _("Sign-up needs an invite code. Ask the people who run this service for one.")


class InviteInvalid(_FieldRefusal):
    field, code = "invite_code", "invite_invalid"
    default_detail = _("This invite code is not valid: it is wrong, expired or used up.")


class EmailDomainRefused(_FieldRefusal):
    field, code = "email", "email_domain_refused"

    @property
    def default_detail(self) -> str:  # the domains allowed now
        domains = ", ".join(settings.SIGNUP_EMAIL_DOMAINS)
        return gettext("Sign-up is only open to addresses at %(domains)s.") % {"domains": domains}
