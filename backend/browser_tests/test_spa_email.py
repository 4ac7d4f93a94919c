"""The links the API mails, followed in the browser: a forgotten password, a confirmed address,
and changing the password on the account page. Mail is read from what the API server's console
backend printed (its output goes to a file)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a brand new passphrase"


def test_a_forgotten_password_is_reset_through_the_mailed_link_and_the_new_one_logs_in(app, mail_log, spa_server):
    user = UserFactory(email="forgetful@example.com")
    page, _ = app(log_path=mail_log.path, SPA_URL=f"{spa_server.url}/")

    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_focused()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Send reset link").click()
    sent = page.get_by_role("status")
    expect(sent).to_have_text("If an account has this address, we sent a link to it.")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(sent).to_have_text("If an account has this address, we sent a link to it.")  # the same words
    screenshot(page, "forgot-password")

    link = mail_log.link(user.email, "reset-password")
    assert mail_log.mails_to("nobody@example.com") == []
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_focused()
    page.get_by_label("New password").fill("password")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#field-new_password-error")).to_contain_text("too common")  # the validators' words
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your password was changed. Log in with the new one.")
    screenshot(page, "reset-password-done")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert").filter(has_text="Wrong email or password.")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator(".verify-banner")).to_be_hidden()  # the mailed link proved the address

    page.goto(link)  # a used link
    page.get_by_label("New password").fill("another good passphrase")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert").filter(has_text="invalid, expired or already used")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def test_a_new_account_is_asked_to_confirm_its_address_until_the_mailed_link_is_opened(app, mail_log, spa_server):
    page, _ = app(log_path=mail_log.path, SPA_URL=f"{spa_server.url}/", EMAIL_RESEND_THROTTLE_RATE="1/hour")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()

    banner = page.get_by_role("region", name="Email confirmation")
    expect(banner).to_contain_text("Please confirm your email address: we sent a link to newcomer@example.com.")
    first_link = mail_log.link("newcomer@example.com", "verify-email")
    banner.get_by_role("button", name="Mail the link again").click()
    expect(banner.get_by_role("status")).to_have_text("Sent")
    banner.get_by_role("button", name="Mail the link again").click()
    expect(banner.get_by_role("status")).to_contain_text("Too many attempts. Try again in")
    screenshot(page, "verify-banner")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot(page, "verify-banner-phone")
    page.set_viewport_size({"width": 1200, "height": 800})

    page.goto(first_link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="confirmed")).to_have_text("Your email address is confirmed.")
    expect(banner).to_be_hidden()
    assert User.objects.get(email="newcomer@example.com").email_verified
    screenshot(page, "verify-email-done")
    page.get_by_role("link", name="Go to your chats").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(banner).to_be_hidden()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # logged out (else it sends us there later)
    page.goto(first_link)  # used: the same link says so, signed out too (a fresh page: no memory of it)
    page.reload()
    expect(page.get_by_role("alert")).to_have_text("This link is invalid, expired or already used.")


def test_changing_the_password_on_the_account_page_keeps_this_tab_logged_in(app):
    user = UserFactory(email="changer@example.com", email_verified=True)
    page, _ = app()
    log_in(page, user)
    page.get_by_role("link", name="Account", exact=True).click()

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#field-current_password-error")).to_have_text("This is not your current password.")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()

    expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    screenshot(page, "account-password-changed")
    page.reload()  # the new session is a real one
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.locator(".account-details")).to_contain_text("changer@example.com")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
