"""Log in with GitHub or Kakao: django-allauth speaks to the provider, simplejwt issues our tokens.

The flow, for an SPA on another origin:

1. The SPA makes its own `state` and PKCE verifier and sends the browser to
   `/api/v1/auth/social/<provider>/start/?state=S&code_challenge=C` (views.SocialStartView).
2. allauth keeps its own OAuth `state` (and its PKCE verifier) in a short session and redirects to
   the provider; the provider sends the browser back to our callback.
3. allauth checks its state, exchanges the code and fetches the profile; our adapter
   (adapter.SocialLoginAdapter) then decides who this is (services.social_login_resolve) and sends
   the browser to `SOCIAL_LOGIN_REDIRECT_URL#code=K&state=S`, or `#error=<reason>&state=S`.
4. The SPA posts `{code: K, code_verifier}` to `exchange/` and gets the token pair. K is stored
   hashed, works once, for 60 seconds, and only with the verifier whose S256 is C.
"""
